package pipeline

import (
	"context"
	"strings"
	"time"

	"github.com/cloudinitd/cloudinitd/remote"
)

// hostWork is what the pipeline will do on the service's host at pl: the
// target, or the error building it, when there is something to do there
// (boot steps to run, a ready program, an SSH check, a local_exe
// service); onHost false when there is nothing.
type hostWork struct {
	onHost bool
	t      Target
	err    error
}

// work decides the host work of the service at pl.
func (r *runner) work(pl Place) hostWork {
	s := r.svc.Settings
	_, hasBoot := s.Setting("bootpgm")
	_, hasReady := s.Setting("readypgm")
	sshCheck := true
	if v, ok := s.Setting("ssh_check"); ok && strings.EqualFold(v, "false") {
		sshCheck = false
	}
	if !(r.o.RunBoot && hasBoot) && !hasReady && !sshCheck && !Flag(s, "local_exe") {
		return hostWork{}
	}
	t, err := NewTarget(r.svc.Name, s, r.svc.Attrs, pl, r.o.Contextualized)
	return hostWork{onHost: true, t: t, err: err}
}

// dialing is a connection to the service's host begun before the record
// has taken what precedes the connect step (the hostname of a host the
// run did not launch, the step's event): each of those writes waits for
// its group commit, 100-200 ms before the first connection of a level
// on a loaded machine, which the handshake now overlaps. Connecting
// changes nothing on the host; nothing runs there before the record
// says so (Booting precedes the boot program, as before).
type dialing struct {
	start  time.Time
	cancel context.CancelFunc
	done   chan struct{}
	ex     remote.Executor
	err    error
	taken  bool
}

// dial starts connecting to t, bounded by the step timeout, in a
// goroutine that the returned dialing's take or discard waits for.
func (r *runner) dial(ctx context.Context, t Target) *dialing {
	cctx, cancel := r.stepCtx(ctx)
	d := &dialing{start: r.o.now(), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(d.done)
		d.ex, d.err = r.p.Connector.Connect(cctx, t)
	}()
	return d
}

// take waits for the connection and hands its executor (which the caller
// closes) or its error over.
func (d *dialing) take() (remote.Executor, error) {
	<-d.done
	d.cancel()
	d.taken = true
	return d.ex, d.err
}

// discard ends a connection nobody took (a step before the connect
// failed): it stops the attempt, waits for it and closes its executor.
func (d *dialing) discard() {
	if d == nil || d.taken {
		return
	}
	d.cancel()
	<-d.done
	if d.ex != nil {
		_ = d.ex.Close()
	}
}

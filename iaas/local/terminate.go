package local

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// Terminate kills each instance's server, then every process carrying the
// instance's marker and their process groups, SIGTERM first and SIGKILL for
// what remains, until /proc shows none. Unknown or already terminated
// instances are not an error. When it returns nil the instances are
// Terminated; if ctx ends first they stay Terminating and a later Terminate
// or Describe finishes the job.
func (d *Driver) Terminate(ctx context.Context, refs ...iaas.Ref) error {
	if err := ctx.Err(); err != nil {
		return classify("terminate", iaas.ErrTransient, err)
	}
	var errs []error
	for _, ref := range refs {
		if err := d.terminateOne(ctx, ref); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ref.ID, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return classify("terminate", iaas.ErrTransient, err)
	}
	return nil
}

func (d *Driver) terminateOne(ctx context.Context, ref iaas.Ref) error {
	dir, m, err := d.find(ref)
	if err != nil || m.State == stateTerminated {
		return nil
	}
	m, err = d.updateMeta(ctx, dir, func(m *meta) {
		if m.State != stateFailed {
			m.State = stateTerminating
		}
	})
	if err != nil {
		return err
	}
	if processAlive(m.PID, m.PIDStart) {
		// Verified by start time, so this cannot hit a reused pid. The
		// server kills its running commands' groups on SIGTERM; SIGKILL
		// follows with the sweep below.
		_ = syscall.Kill(m.PID, syscall.SIGTERM)
	}
	if err := d.sweep(ctx, m); err != nil {
		d.kids.reap(m.PID) // our own server, if it was and has ended
		return err
	}
	// The server has exited (a zombie counts): reap it if it is our own
	// child. It may take a moment more to become reapable (its threads
	// exit after its main one).
	d.kids.wait(m.PID)
	d.log.Info("local instance terminated", "id", m.ID, "run", m.Run, "service", m.Service)
	if m.State == stateFailed {
		return nil
	}
	_, err = d.updateMeta(ctx, dir, func(m *meta) { m.State = stateTerminated })
	return err
}

// sweep signals the server and marked processes until none remain: a grace
// period after SIGTERM, then SIGKILL in rounds (a dying daemon may fork).
func (d *Driver) sweep(ctx context.Context, m meta) error {
	grace := time.Now().Add(2 * time.Second)
	sig := syscall.SIGTERM
	for {
		procs, err := d.scans.marked(m.ID)
		if err != nil {
			return fmt.Errorf("scan /proc: %w", err)
		}
		signalProcs(procs, sig)
		alive := processAlive(m.PID, m.PIDStart)
		if len(procs) == 0 && !alive {
			return nil
		}
		if time.Now().After(grace) {
			sig = syscall.SIGKILL
			if alive {
				_ = syscall.Kill(m.PID, syscall.SIGKILL)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("processes remain: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

package pipeline

import (
	"context"
	"fmt"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/verify"
)

// Pipeline runs service pipelines through one Connector. Safe for
// concurrent use: each Run works on its own Service.
type Pipeline struct {
	Connector Connector
}

// Run runs the pipeline of svc on host: with o.Boot the boot pipeline
// (wait for the instance to run, connect, SSH check, boot steps when
// o.RunBoot, ready program), without it the ready pipeline of a status
// check (the instance runs now, connect, ready program); then the
// instance must still run. Steps needing the host are skipped when there
// is nothing to run there and no SSH check. Each transition is told to
// svc.State as it happens. A failure is a *StepError naming its step.
func (p *Pipeline) Run(ctx context.Context, svc Service, host Host, o Options) error {
	r := &runner{p: p, svc: svc, o: o}
	return r.run(ctx, host)
}

// runner is one Run at work.
type runner struct {
	p   *Pipeline
	svc Service
	o   Options
}

func (r *runner) stepCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, r.o.stepTimeout())
}

func (r *runner) printf(format string, args ...any) {
	if r.svc.Log != nil {
		r.svc.Log.Printf(format, args...)
	}
}

func (r *runner) run(ctx context.Context, host Host) error {
	inst, err := r.running(ctx, host)
	if err != nil {
		return err
	}
	place := host.Place
	if place == nil {
		place = func(_ context.Context, inst *iaas.Instance) (Place, error) {
			if inst == nil {
				return Place{}, fmt.Errorf("service %q has no instance", r.svc.Name)
			}
			return PlaceOf(*inst), nil
		}
	}
	pl, err := place(ctx, inst)
	if err != nil {
		return failed(StepHostname, err)
	}
	if pl.Hostname == "" {
		return failed(StepHostname, fmt.Errorf("no hostname: the service has neither an instance nor a hostname"))
	}
	w := r.work(pl)
	var d *dialing
	if w.onHost && w.err == nil {
		d = r.dial(ctx, w.t) // while the record takes the hostname and the connect step
		defer d.discard()
	}
	if host.Driver == nil {
		if err := r.svc.State.Hostname(context.WithoutCancel(ctx), pl.Hostname); err != nil {
			return failed(StepHostname, err)
		}
	}
	if w.onHost {
		if err := r.onHost(ctx, pl, w, d); err != nil {
			return err
		}
	}
	return r.finish(ctx, host)
}

// running waits for (boot) or checks (status) the instance of a launched
// service and tells the sink where it runs; nil for a host not launched.
func (r *runner) running(ctx context.Context, host Host) (*iaas.Instance, error) {
	if host.Driver == nil {
		return nil, nil
	}
	r.svc.State.Step(ctx, StepRunning, host.Ref.ID)
	var got iaas.Instance
	var err error
	if r.o.Boot {
		got, err = WaitRunning(ctx, host.Driver, host.Ref, r.o.stepTimeout(), r.o.runningBackoff())
	} else {
		got, err = DescribeRunning(ctx, host.Driver, host.Ref)
	}
	if err != nil {
		return nil, failed(StepRunning, err)
	}
	if err := r.svc.State.Running(ctx, got.Hostname); err != nil {
		return nil, failed(StepRunning, err)
	}
	r.printf("instance %s running on %s", got.ID, got.Hostname)
	return &got, nil
}

// onHost runs the steps on the service's host at pl (w: its target, d:
// the connection to it under way): connect, SSH check, boot steps, ready
// program.
func (r *runner) onHost(ctx context.Context, pl Place, w hostWork, d *dialing) error {
	s := r.svc.Settings
	_, hasBoot := s.Setting("bootpgm")
	_, hasReady := s.Setting("readypgm")
	if w.err != nil {
		return failed(StepConnect, w.err)
	}
	t := w.t
	r.svc.State.Step(ctx, StepConnect, t.Host)
	start := d.start
	ex, err := d.take()
	if err != nil {
		return failed(StepConnect, err)
	}
	defer ex.Close()
	logs := logsLines(r.svc.Log) // what a quiet log is not given need not be formatted
	if logs {
		LogCheck(r.svc.Log, r.o.now(), StepConnect+" "+ex.Host(), start, nil)
	}
	if !t.Local {
		start := r.o.now()
		cctx, cancel := r.stepCtx(ctx)
		err := verify.WaitSSH(cctx, ex, r.o.sshBackoff())
		cancel()
		if logs {
			LogCheck(r.svc.Log, r.o.now(), StepSSH+" check ('true' on "+ex.Host()+")", start, err)
		}
		if err != nil {
			return failed(StepSSH, err)
		}
	}
	stage := StageDir(r.svc.Name, s, pl, r.o.Getenv)
	if r.o.RunBoot && hasBoot {
		if err := r.svc.State.Booting(ctx); err != nil {
			return failed(StepBootPgm, err)
		}
		bctx, cancel := r.stepCtx(ctx)
		err := r.boot(bctx, LoggedExecutor(ex, r.svc.Log, StepBootPgm, r.o.Now), stage)
		cancel()
		if err != nil {
			return err
		}
	}
	if r.o.RunBoot {
		if err := r.svc.State.Contextualized(ctx); err != nil {
			return failed(StepBootPgm, err)
		}
	}
	if hasReady {
		r.svc.State.Step(ctx, StepReadyPgm, "")
		rctx, cancel := r.stepCtx(ctx)
		start := r.o.now()
		err := r.ready(rctx, LoggedExecutor(ex, r.svc.Log, StepReadyPgm, r.o.Now), stage)
		cancel()
		LogCheck(r.svc.Log, r.o.now(), StepReadyPgm+" check", start, err)
		if err != nil {
			return failed(StepReadyPgm, err)
		}
	}
	return nil
}

// finish checks that a launched instance still runs (it may have died
// during the boot program) and tells the sink the service is ready.
func (r *runner) finish(ctx context.Context, host Host) error {
	if host.Driver != nil && host.Ref.ID != "" {
		if _, err := DescribeRunning(ctx, host.Driver, host.Ref); err != nil {
			return failed(StepAlive, err)
		}
	}
	return failed(StepCheck, r.svc.State.Ready(ctx, r.o.RunBoot))
}

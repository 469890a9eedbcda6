package bootlevel

import (
	"context"
	"fmt"
	"strings"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/store"
	"github.com/cloudinitd/cloudinitd/verify"
)

// runService runs the pipeline of one service (reference §2.3): with boot,
// the boot pipeline (wait for the instance, connect, boot program, ready
// program); without, the ready pipeline of status (instance still running,
// connect, ready program). Failures are recorded and returned as
// *ServiceError.
func (e *run) runService(ctx context.Context, lv int, s store.Service, boot bool) error {
	log, err := e.openLog(ctx, lv, s.Name)
	if err != nil {
		return e.fail(ctx, lv, s.Name, StepCheck, err, boot)
	}
	defer log.Close()
	step, err := e.pipeline(ctx, lv, s, log, boot)
	if err != nil {
		log.Printf("%s failed: %v", step, err)
		return e.fail(ctx, lv, s.Name, step, err, boot)
	}
	if boot {
		log.Printf("ready")
	} else {
		log.Printf("checked: ready")
	}
	return nil
}

func (e *run) pipeline(ctx context.Context, lv int, s store.Service, log *serviceLog, boot bool) (string, error) {
	stepCtx := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, pgmTimeout(s)) }
	r := e.resolver()
	launched := flag(s, "iaas_launch")
	var inst *iaas.Instance
	var d iaas.Driver
	var err error
	if launched {
		if d, err = e.serviceDriver(r, s.Name); err != nil {
			return StepRunning, err
		}
		e.emit(ctx, Event{Level: lv, Service: s.Name, Kind: KindStep, Step: StepRunning, Detail: s.InstanceID})
		var got iaas.Instance
		if boot {
			got, err = e.waitRunning(ctx, d, s)
		} else if got, err = e.describe(ctx, d, s); err == nil && got.State != iaas.StateRunning {
			err = instanceGone(got)
		}
		if err != nil {
			return StepRunning, err
		}
		inst = &got
		if boot && (s.State == store.StateLaunched || s.State == store.StateLaunching) {
			if err := e.setRunning(ctx, lv, s.Name, got.Hostname); err != nil { // hostname and state, one write
				return StepRunning, err
			}
		} else if got.Hostname != s.Hostname {
			if err := e.setHostname(context.WithoutCancel(ctx), s.Name, got.Hostname); err != nil {
				return StepHostname, err
			}
		}
		log.Printf("instance %s running on %s", got.ID, got.Hostname)
	}
	// The bag is rebuilt now that the hostname is known (§8.15): r reads
	// the command's image, which holds every write made so far.
	pl, err := e.placeOf(ctx, r, s.Name, inst, 0)
	if err != nil {
		return StepHostname, err
	}
	if pl.hostname == "" {
		return StepHostname, fmt.Errorf("no hostname: the service has neither an instance nor a hostname")
	}
	if !launched && pl.hostname != s.Hostname {
		if err := e.setHostname(context.WithoutCancel(ctx), s.Name, pl.hostname); err != nil {
			return StepHostname, err
		}
	}
	name := s.Name
	s, ok := r.Service(name)
	if !ok {
		return StepHostname, fmt.Errorf("%q: %w", name, plan.ErrUnknownService)
	}
	runBoot := boot && !booted(s.State)
	_, hasBoot := s.Setting("bootpgm")
	_, hasReady := s.Setting("readypgm")
	sshCheck := true
	if v, ok := s.Setting("ssh_check"); ok && strings.EqualFold(v, "false") {
		sshCheck = false
	}
	if !(runBoot && hasBoot) && !hasReady && !sshCheck && !flag(s, "local_exe") {
		return e.finish(ctx, lv, s, d, boot, runBoot)
	}

	t, err := e.target(r, s, pl, booted(s.State))
	if err != nil {
		return StepConnect, err
	}
	e.emit(ctx, Event{Level: lv, Service: s.Name, Kind: KindStep, Step: StepConnect, Detail: t.Host})
	start := e.now()
	cctx, cancel := stepCtx()
	ex, err := e.Connector.Connect(cctx, t)
	cancel()
	if err != nil {
		return StepConnect, err
	}
	defer ex.Close()
	log.logCheck(StepConnect+" "+ex.Host(), start, nil)
	if !t.Local {
		start := e.now()
		cctx, cancel := stepCtx()
		err := verify.WaitSSH(cctx, ex, e.sshBackoff())
		cancel()
		log.logCheck(StepSSH+" check ('true' on "+ex.Host()+")", start, err)
		if err != nil {
			return StepSSH, err
		}
	}
	stage := e.stageDir(s, pl)
	if runBoot && hasBoot {
		if err := e.setState(ctx, lv, s.Name, store.StateBooting, ""); err != nil {
			return StepBootPgm, err
		}
		bctx, cancel := stepCtx()
		step, err := e.bootProgram(bctx, lv, r, s, log.executor(ex, StepBootPgm), stage, log)
		cancel()
		if err != nil {
			return step, err
		}
	}
	if runBoot {
		if err := e.setState(ctx, lv, s.Name, store.StateContextualized, ""); err != nil {
			return StepBootPgm, err
		}
		s.State = store.StateContextualized
	}
	if hasReady {
		e.emit(ctx, Event{Level: lv, Service: s.Name, Kind: KindStep, Step: StepReadyPgm})
		rctx, cancel := stepCtx()
		start := e.now()
		err := e.readyProgram(rctx, r, s, log.executor(ex, StepReadyPgm), stage, log)
		cancel()
		log.logCheck(StepReadyPgm+" check", start, err)
		if err != nil {
			return StepReadyPgm, err
		}
	}
	return e.finish(ctx, lv, s, d, boot, runBoot)
}

// finish checks that a launched instance is still running (it may have died
// during the boot program) and records the service ready.
func (e *run) finish(ctx context.Context, lv int, s store.Service, d iaas.Driver, boot, ranBoot bool) (string, error) {
	if d != nil && s.InstanceID != "" {
		got, err := e.describe(ctx, d, s)
		if err == nil && got.State != iaas.StateRunning {
			err = instanceGone(got)
		}
		if err != nil {
			return StepAlive, err
		}
	}
	if ranBoot && !booted(s.State) {
		if err := e.setState(ctx, lv, s.Name, store.StateContextualized, ""); err != nil {
			return StepCheck, err
		}
	}
	if boot || s.State == store.StateContextualized {
		if err := e.setState(ctx, lv, s.Name, store.StateReady, ""); err != nil {
			return StepCheck, err
		}
	}
	if s.LastError != "" {
		if err := e.setLastError(context.WithoutCancel(ctx), s.Name, ""); err != nil {
			return StepCheck, err
		}
	}
	return "", nil
}

// readyProgram runs the readypgm in the stage dir.
func (e *run) readyProgram(ctx context.Context, r *Resolver, s store.Service, ex remote.Executor, stage string, log *serviceLog) error {
	p, err := e.program(r, s, "readypgm", stage, log, ex)
	if err != nil {
		return err
	}
	if err := ex.Prepare(ctx, stage); err != nil {
		return fmt.Errorf("prepare %s: %w", stage, err)
	}
	_, err = verify.RunReady(ctx, ex, p)
	return err
}

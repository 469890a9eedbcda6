package bootlevel

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/cloudinitd/cloudinitd/store"
)

// BootOptions adjust Boot.
type BootOptions struct {
	// Prelaunch launches the instances of every level before level 1
	// starts (the CLI's boot), overlapping machine start-up with the work
	// of earlier levels. Without it a level launches its instances when it
	// starts.
	Prelaunch bool
	// Resume continues a run whose boot was interrupted: ready services are
	// skipped, services with an instance continue from their state, and a
	// launch intent without an instance id is launched again with the same
	// client token (an idempotent driver returns the instance it may have
	// started). Without Resume every service must be new or terminated.
	Resume bool
	// Recorded is the image RecordImage returned when it recorded the
	// plan of this run (nil: none): the boot starts from it instead of
	// reading the plan's rows back. Nothing may be written to the record
	// in between.
	Recorded *Recorded
}

// Boot boots the run: levels in order, the services of a level
// concurrently; a failing service lets its level-mates finish, then the
// level fails and later levels do not start. The error joins every
// *ServiceError.
func (e *Engine) Boot(ctx context.Context, o BootOptions) error {
	rn, err := e.beginFrom(ctx, CommandBoot, o.Recorded.take(e.DB))
	if err != nil {
		return err
	}
	ls := rn.grouped()
	if len(ls) == 0 {
		return fmt.Errorf("run %s %w", e.DB.Name(), ErrNoPlan)
	}
	if !o.Resume {
		if err := notStarted(ls); err != nil {
			return err
		}
	}
	return rn.boot(ctx, ls, o.Prelaunch)
}

func (e *run) boot(ctx context.Context, ls []level, prelaunch bool) error {
	e.runStatus(ctx, store.RunBooting)
	if prelaunch {
		if err := e.prelaunch(ctx, ls); err != nil {
			e.runStatus(ctx, statusOf(ctx, err))
			return err
		}
	}
	err := e.walk(ctx, ls, false, false, e.bootService)
	e.runStatus(ctx, statusOf(ctx, err))
	return err
}

// notStarted refuses a boot without Resume on a run that has begun.
func notStarted(ls []level) error {
	var busy []string
	for _, l := range ls {
		for _, s := range l.Services {
			if s.State != store.StateNew && s.State != store.StateTerminated {
				busy = append(busy, fmt.Sprintf("%s (%s)", s.Name, s.State))
			}
		}
	}
	if len(busy) == 0 {
		return nil
	}
	sort.Strings(busy)
	return fmt.Errorf("run already started: %s; resume the boot, or reboot", strings.Join(busy, ", "))
}

func (e *run) bootService(ctx context.Context, lv int, s store.Service) error {
	if s.State == store.StateReady {
		e.emit(ctx, Event{Level: lv, Service: s.Name, Kind: KindStep, Step: StepCheck, Detail: "already ready; skipped"})
		return nil
	}
	s, err := e.ensureInstance(ctx, lv, s)
	if err != nil {
		return e.fail(ctx, lv, s.Name, StepLaunch, err, true)
	}
	return e.runService(ctx, lv, s, true)
}

// Status runs the ready pipeline of every service (no boot), level by
// level, going on after failures. A terminated service, a service never
// booted, or an instance that is no longer running is an error.
func (e *Engine) Status(ctx context.Context) error {
	rn, err := e.begin(ctx, CommandStatus)
	if err != nil {
		return err
	}
	err = rn.walk(ctx, rn.grouped(), false, true, rn.statusService)
	e.runStatus(ctx, statusOf(ctx, err))
	return err
}

func (e *run) statusService(ctx context.Context, lv int, s store.Service) error {
	switch {
	case s.State == store.StateTerminated:
		return e.fail(ctx, lv, s.Name, StepCheck, fmt.Errorf("the service %w; boot it again", ErrTerminated), false)
	case !booted(s.State):
		return e.fail(ctx, lv, s.Name, StepCheck, fmt.Errorf("the service %w (state %s)", ErrNotBooted, s.State), false)
	}
	if err := e.runService(ctx, lv, s, false); err != nil {
		return err
	}
	e.emit(ctx, Event{Level: lv, Service: s.Name, Kind: KindChecked, State: string(s.State)})
	return nil
}

// MaxRestarts is how often Repair restarts one service.
const MaxRestarts = 2

// Repair is Status that restarts a failing service: its instance is
// terminated, a new instance (attempt+1) launched and fully booted, at most
// MaxRestarts times; then later levels are checked. A level that stays
// failed stops the repair. A healthy run is left alone.
func (e *Engine) Repair(ctx context.Context) error {
	rn, err := e.begin(ctx, CommandRepair)
	if err != nil {
		return err
	}
	return rn.repair(ctx)
}

func (e *run) repair(ctx context.Context) error {
	e.runStatus(ctx, store.RunBooting)
	err := e.walk(ctx, e.grouped(), false, false, func(ctx context.Context, lv int, s store.Service) error {
		err := e.statusService(ctx, lv, s)
		for n := 1; err != nil && n <= MaxRestarts && ctx.Err() == nil; n++ {
			e.emit(ctx, Event{Level: lv, Service: s.Name, Kind: KindWarning, Step: StepCheck,
				Detail: fmt.Sprintf("restart %d of %d after: %v", n, MaxRestarts, err)})
			cur, rerr := e.service(s.Name)
			if rerr != nil {
				return rerr
			}
			if cur.State != store.StateTerminated && cur.State != store.StateNew {
				if terr := e.terminateService(ctx, lv, cur); terr != nil {
					e.emit(ctx, Event{Level: lv, Service: s.Name, Kind: KindWarning, Step: StepTerminate, Detail: terr.Error()})
				}
				if cur, rerr = e.service(s.Name); rerr != nil {
					return rerr
				}
			}
			err = e.bootService(ctx, lv, cur)
		}
		return err
	})
	e.runStatus(ctx, statusOf(ctx, err))
	return err
}

// Reboot terminates every service (reverse order, going on after errors,
// which are reported as warnings) and boots the run again without
// pre-launch; each launched service gets a new instance.
func (e *Engine) Reboot(ctx context.Context) error {
	if err := e.terminateAs(ctx, CommandReboot); err != nil {
		if ctx.Err() != nil {
			return err
		}
		e.emit(ctx, Event{Kind: KindWarning, Step: StepTerminate, Detail: "reboot: " + err.Error()})
	}
	rn, err := e.begin(ctx, CommandReboot) // the image of the record as terminate left it
	if err != nil {
		return err
	}
	return rn.boot(ctx, rn.grouped(), false)
}

// statusOf is the run's status after a command that ended with err:
// interrupted when ctx was canceled (Ctrl-C, a signal).
func statusOf(ctx context.Context, err error) store.RunStatus {
	switch {
	case err != nil && ctx.Err() != nil:
		return store.RunInterrupted
	case err != nil:
		return store.RunFailed
	}
	return store.RunUp
}

func (e *Engine) runStatus(ctx context.Context, st store.RunStatus) {
	if err := e.DB.SetRunStatus(context.WithoutCancel(ctx), st); err != nil {
		e.log().Warn("record run status", "status", st, "err", err)
	}
}

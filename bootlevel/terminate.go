package bootlevel

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/store"
)

// Terminate terminates the run: levels in reverse order, going on after
// errors. Per service: an already terminated service is skipped; the
// terminatepgm runs (only if the service ever had a hostname) and the stage
// dir is removed on the service's host; then the instance is terminated,
// even when the program failed. Such a failure is returned wrapping
// ErrTerminatedAnyway and the service is terminated: with its host gone the
// program cannot run again. On a host the run did not launch (hostname:)
// a failing terminatepgm leaves the service terminating, not terminated, so
// the next Terminate runs it again; so does a failing instance termination. Afterwards every instance of the history
// that is not final (earlier attempts, launches completed behind our back)
// is terminated too. Cloud calls run under a clean-up context so that
// Ctrl-C does not leave instances running. The error joins every failure.
//
// Before the walk, drivers with the RunFinder ability are asked for the
// run's instances: a launch intent whose instance id was never recorded is
// completed with the instance carrying its client token (so the walk
// terminates it as the service's instance), and instances of the run that
// nothing in the record explains are terminated after the walk. Last,
// instances the run's services launched themselves (iaas.Instance.Owner)
// that are still alive after their owner's terminatepgm ran are
// terminated, each with a warning naming the owner. Instances of the
// run's name that belong to another record are never touched.
func (e *Engine) Terminate(ctx context.Context) error {
	return e.terminateAs(ctx, CommandTerminate)
}

// terminateAs is Terminate as part of command (terminate, reboot).
func (e *Engine) terminateAs(ctx context.Context, command string) error {
	rn, err := e.begin(ctx, command)
	if err != nil {
		return err
	}
	return rn.terminate(ctx)
}

func (e *run) terminate(ctx context.Context) error {
	search, serr := e.search(ctx) // records what it finds: the walk sees it
	e.runStatus(ctx, store.RunTerminating)
	err := e.walk(ctx, e.grouped(), true, true, e.terminateService)
	err = errors.Join(serr, err, e.terminateHistory(ctx, search), e.sweepOwned(ctx))
	if err != nil {
		e.runStatus(ctx, statusOf(ctx, err))
	} else {
		e.runStatus(ctx, store.RunTerminated)
	}
	return err
}

func (e *run) terminateService(ctx context.Context, lv int, s store.Service) error {
	if s.State == store.StateTerminated {
		e.emit(ctx, Event{Level: lv, Service: s.Name, Kind: KindWarning, Step: StepTerminate, Detail: "already terminated"})
		return nil
	}
	if err := e.setState(ctx, lv, s.Name, store.StateTerminating, ""); err != nil {
		return e.fail(ctx, lv, s.Name, StepTerminate, err, false)
	}
	log, err := e.openLog(ctx, lv, s.Name)
	if err != nil {
		return e.fail(ctx, lv, s.Name, StepTerminate, err, false)
	}
	defer log.Close()
	r := e.resolver() // bag rebuilt (§8.15): the command's image of the record
	var hostStep string
	var hostErr error
	if s.Hostname != "" && !hostless(s) {
		if hostStep, hostErr = e.hostCleanup(ctx, lv, r, s, log); hostErr != nil {
			log.Printf("%s failed: %v", hostStep, hostErr)
		}
	}
	launched := flag(s, "iaas_launch")
	if launched && s.InstanceID != "" {
		cctx, cancel := e.cleanup(ctx)
		err := e.terminateInstance(cctx, r, s.Name, s.InstanceID, s.Handle)
		cancel()
		if err != nil {
			// The service stays terminating: the next terminate tries
			// the host steps and the instance again.
			var errs []error
			if hostErr != nil {
				errs = append(errs, e.fail(ctx, lv, s.Name, hostStep, hostErr, false))
			}
			return errors.Join(append(errs, e.fail(ctx, lv, s.Name, StepTerminate, err, false))...)
		}
		log.Printf("instance %s terminated", s.InstanceID)
		if hostErr != nil {
			hostErr = &terminatedAnyway{err: hostErr, id: s.InstanceID}
			log.Printf("%v", hostErr)
		}
	} else if hostErr != nil {
		// The host is not ours to terminate and still there: the service
		// stays terminating, so the next terminate runs its host steps
		// again.
		return e.fail(ctx, lv, s.Name, hostStep, hostErr, false)
	}
	var errs []error
	if hostErr != nil {
		errs = append(errs, e.fail(ctx, lv, s.Name, hostStep, hostErr, false))
	}
	rec := context.WithoutCancel(ctx)
	if launched {
		// The instance is gone, and its host: state and hostname in one
		// write.
		if err := e.setStateHostname(rec, lv, s.Name, store.StateTerminated, ""); err != nil {
			errs = append(errs, err)
		}
	} else if err := e.setState(rec, lv, s.Name, store.StateTerminated, ""); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// hostCleanup runs the terminatepgm and removes the stage dir on the
// service's host. An instance that no longer runs is skipped with a warning.
func (e *run) hostCleanup(ctx context.Context, lv int, r *Resolver, s store.Service, log *serviceLog) (string, error) {
	pl, err := e.placeOf(ctx, r, s.Name, nil, 0)
	if err != nil {
		if flag(s, "iaas_launch") {
			e.emit(ctx, Event{Level: lv, Service: s.Name, Kind: KindWarning, Step: StepTerminatePgm, Detail: "host steps skipped: " + err.Error()})
			return "", nil
		}
		return StepHostname, err
	}
	t, err := e.target(r, s, pl, true)
	if err != nil {
		return StepConnect, err
	}
	tctx, cancel := context.WithTimeout(ctx, pgmTimeout(s))
	defer cancel()
	ex, err := e.Connector.Connect(tctx, t)
	if err != nil {
		return StepConnect, err
	}
	defer ex.Close()
	ex = log.executor(ex, StepTerminatePgm)
	stage := e.stageDir(s, pl)
	var errs []error
	step := ""
	if _, ok := s.Setting("terminatepgm"); ok {
		e.emit(ctx, Event{Level: lv, Service: s.Name, Kind: KindStep, Step: StepTerminatePgm})
		p, err := e.program(r, s, "terminatepgm", stage, log)
		if err == nil {
			if err = ex.Prepare(tctx, stage); err == nil {
				_, err = remote.RunProgram(tctx, ex, p)
			}
		}
		if err != nil {
			step = StepTerminatePgm
			errs = append(errs, err)
		}
	}
	sctx, scancel := context.WithTimeout(ctx, pgmTimeout(s))
	defer scancel()
	if err := remote.RemoveStage(sctx, ex, stage); err != nil {
		if step == "" {
			step = StepStage
		}
		errs = append(errs, fmt.Errorf("remove %s: %w", stage, err))
	}
	return step, errors.Join(errs...)
}

// terminateInstance asks the service's driver to terminate one instance and
// records it in the history.
func (e *run) terminateInstance(ctx context.Context, r *Resolver, svc, id string, handle []byte) error {
	d, err := e.serviceDriver(r, svc)
	if err != nil {
		return err
	}
	if err := d.Terminate(ctx, iaas.Ref{ID: id, Handle: handle}); err != nil {
		return fmt.Errorf("terminate %s: %w", id, err)
	}
	if err := e.markInstance(ctx, id, store.HistoryTerminated); err != nil {
		return fmt.Errorf("record %s terminated: %w", id, err)
	}
	return nil
}

// search runs searchRun under a clean-up context.
func (e *run) search(ctx context.Context) (runSearch, error) {
	cctx, cancel := e.cleanup(ctx)
	defer cancel()
	return e.searchRun(cctx, e.resolver())
}

// terminateHistory terminates every instance of the history that is not
// final and the unrecorded instances of the run found by search, and
// settles the intents whose instance id never came back: failed when their
// driver searched and found nothing, a warning when it cannot search.
func (e *run) terminateHistory(ctx context.Context, found runSearch) error {
	cctx, cancel := e.cleanup(ctx)
	defer cancel()
	r := e.resolver()
	var errs []error
	for _, h := range e.v.allHistory() {
		if h.InstanceID == "" || h.State == store.HistoryTerminated || h.State == store.HistoryFailed {
			continue
		}
		if err := e.terminateInstance(cctx, r, h.Service, h.InstanceID, h.Handle); err != nil {
			errs = append(errs, fmt.Errorf("service %q: earlier instance: %w", h.Service, err))
		} else {
			e.emit(ctx, Event{Service: h.Service, Kind: KindStep, Step: StepTerminate, Detail: "earlier instance " + h.InstanceID + " terminated"})
		}
	}
	for _, f := range found.unrecorded {
		if err := e.terminateFound(cctx, f); err != nil {
			errs = append(errs, err)
		}
	}
	for _, h := range found.unmatched {
		e.launchFailed(cctx, h.ID, errors.New("launch outcome unknown; the driver found no instance with its client token"))
	}
	for i, h := range found.blind {
		e.emit(ctx, Event{Service: h.Service, Kind: KindWarning, Step: StepTerminate, Detail: fmt.Sprintf(
			"launch attempt %d (client token %s) never returned an instance id and driver %s cannot search by run; check the cloud for it",
			h.Attempt, h.ClientToken, found.blindDrivers[i])})
	}
	return errors.Join(errs...)
}

// terminateFound terminates an instance of the run that the record does
// not hold.
func (e *run) terminateFound(ctx context.Context, f foundInstance) error {
	if err := f.d.Terminate(ctx, iaas.Ref{ID: f.inst.ID, Handle: f.inst.Handle}); err != nil {
		return fmt.Errorf("service %q: unrecorded instance: terminate %s: %w", f.inst.Service, f.inst.ID, err)
	}
	e.emit(ctx, Event{Service: f.inst.Service, Kind: KindWarning, Step: StepTerminate, Detail: fmt.Sprintf(
		"unrecorded instance %s of the run (client token %s) found by driver %s and terminated", f.inst.ID, f.inst.ClientToken, f.d.Name())})
	return nil
}

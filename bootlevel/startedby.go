package bootlevel

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// Swept is one instance SweepStartedBy terminated.
type Swept struct {
	Driver   string
	Instance iaas.Instance
}

// SweepStartedBy takes down, on the clouds of the record's launching
// services (their drivers, told where the instances live as for any
// command), the runs that a process marked by (iaas.LaunchSpec.StartedBy)
// launched and left: every run with an instance started by by, still
// pending or running and launched before cutoff, unless keep says the
// run is still cared for (its record is here and its owner alive). Each
// such run is swept whole, through FindByRun: every instance it claims
// that is not final is terminated, the instances its services launched
// themselves (Instance.Owner) included. A driver without the
// StartedByFinder ability cannot be swept: that is an error naming it;
// so is a service whose driver cannot be opened (its iaas value does not
// expand, or names no driver), the other clouds being swept all the same.
// It returns what it terminated; the error joins every failure, the
// others are still tried. Cloud calls run under a clean-up context.
//
// The engine's own run (the record holding the plan) is never swept: it
// is a scratch record whose instances are never launched.
func (e *Engine) SweepStartedBy(ctx context.Context, by string, cutoff time.Time, keep func(iaas.RunID) bool) ([]Swept, error) {
	cctx, cancel := e.cleanup(ctx)
	defer cancel()
	r, err := e.begin(cctx, CommandSweep)
	if err != nil {
		return nil, err
	}
	drivers, _, failed := r.runDrivers(r.resolver())
	var out []Swept
	var errs []error
	if failed != nil { // a cloud not swept: say which
		errs = append(errs, failed)
	}
	for _, d := range drivers {
		got, err := r.sweepDriver(cctx, d, by, cutoff, keep)
		out = append(out, got...)
		if err != nil {
			errs = append(errs, fmt.Errorf("driver %s: %w", d.Name(), err))
		}
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
	}
	return out, errors.Join(errs...)
}

// sweepDriver is SweepStartedBy on one driver.
func (e *run) sweepDriver(ctx context.Context, d iaas.Driver, by string, cutoff time.Time, keep func(iaas.RunID) bool) ([]Swept, error) {
	f, ok := iaas.As[iaas.StartedByFinder](d)
	if !ok {
		return nil, fmt.Errorf("cannot list instances by who started them (no StartedByFinder)")
	}
	rf, ok := iaas.As[iaas.RunFinder](d)
	if !ok {
		return nil, fmt.Errorf("cannot list a run's instances (no RunFinder)")
	}
	tagged, err := f.FindStartedBy(ctx, by)
	if err != nil {
		return nil, err
	}
	var runs []iaas.RunID
	for _, in := range tagged {
		if in.State.Final() || in.Run.Name == "" || in.LaunchedAt.After(cutoff) || slices.Contains(runs, in.Run) {
			continue
		}
		if in.Run == e.id || (keep != nil && keep(in.Run)) {
			continue
		}
		runs = append(runs, in.Run)
	}
	var out []Swept
	var errs []error
	for _, run := range runs {
		is, err := rf.FindByRun(ctx, run)
		if err != nil {
			errs = append(errs, fmt.Errorf("run %s: %w", run, err))
			continue
		}
		for _, in := range is {
			if in.State.Final() || !run.Claims(in, nil) {
				continue
			}
			if err := d.Terminate(ctx, iaas.Ref{ID: in.ID, Handle: in.Handle}); err != nil {
				errs = append(errs, fmt.Errorf("run %s: instance %s: terminate: %w", run, in.ID, err))
				continue
			}
			out = append(out, Swept{Driver: d.Name(), Instance: in})
			e.emit(ctx, Event{Service: in.Service, Kind: KindWarning, Step: StepTerminate, Detail: fmt.Sprintf(
				"instance %s of run %s (service %s, launched %s) was left by a %q process: terminated it",
				in.ID, run, in.Service, in.LaunchedAt.UTC().Format(time.RFC3339), by)})
		}
	}
	return out, errors.Join(errs...)
}

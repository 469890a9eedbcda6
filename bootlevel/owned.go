package bootlevel

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// sweepOwned terminates the instances a service of the run launched for
// it (iaas.Instance.Owner, the run's full id) that are still pending or
// running once Terminate's walk is over, so after their owner's
// terminatepgm ran and had its chance to take them down; each is a warning
// naming the owner that left it. Drivers without the RunFinder ability
// cannot be swept. Runs under a clean-up context.
func (e *run) sweepOwned(ctx context.Context) error {
	cctx, cancel := e.cleanup(ctx)
	defer cancel()
	drivers, _, _ := e.runDrivers(e.resolver()) // the walk reported each service's driver
	id := e.id
	var errs []error
	for _, d := range drivers {
		is, _, err := e.findRun(cctx, d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, in := range is {
			if in.Owner == "" || in.State.Final() || !id.Claims(in, nil) {
				continue
			}
			if err := d.Terminate(cctx, iaas.Ref{ID: in.ID, Handle: in.Handle}); err != nil {
				errs = append(errs, fmt.Errorf("service %q: instance %s it launched: terminate: %w", in.Owner, in.ID, err))
				continue
			}
			e.emit(ctx, Event{Service: in.Owner, Kind: KindWarning, Step: StepTerminate, Detail: fmt.Sprintf(
				"instance %s (service %s) launched by service %s was still %s after %s terminated; terminated it",
				in.ID, in.Service, in.Owner, in.State, in.Owner)})
		}
	}
	return errors.Join(errs...)
}

package bootlevel

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/store"
)

// foundInstance is an instance of the run that a RunFinder reported and
// the history does not hold, with the driver that found it.
type foundInstance struct {
	d    iaas.Driver
	inst iaas.Instance
}

// runSearch is what searchRun learned from the run's drivers.
type runSearch struct {
	// unrecorded are instances of the run the history does not hold and
	// no intent claims (a launch recorded as failed that the cloud did
	// start, or anything else tagged with the run).
	unrecorded []foundInstance
	// unmatched are intents without an instance id whose driver searched
	// and found no instance with their client token.
	unmatched []store.HistoryRow
	// blind are intents without an instance id whose driver cannot search
	// (no RunFinder).
	blind []store.HistoryRow
	// blindDrivers names the driver of each blind intent.
	blindDrivers []string
}

// searchRun asks every driver of the run's launching services that has the
// RunFinder ability for the run's instances. An intent without an instance
// id (the launch call returned, or not, while the record was not written)
// whose client token (else, for a driver that does not report tokens, whose
// service, when it has one such intent) matches a found instance is
// completed with it, as the launch would have recorded it: history row
// launched, the service's instance, its host key cleared (the record
// helpers, so a command's image follows); a warning event says so. What stays unexplained is returned. The error joins the searches
// and records that failed; the rest of the result is still valid.
func (e *Engine) searchRun(ctx context.Context, r *Resolver) (runSearch, error) {
	var res runSearch
	hs, err := e.DB.InstanceHistory(ctx)
	if err != nil {
		return res, fmt.Errorf("read instance history: %w", err)
	}
	known := map[string]bool{}
	var intents []store.HistoryRow
	for _, h := range hs {
		if h.InstanceID != "" {
			known[h.InstanceID] = true
		} else if h.State == store.HistoryIntent {
			intents = append(intents, h)
		}
	}
	var drivers []iaas.Driver
	seen := map[iaas.Driver]bool{}
	intentDriver := make([]iaas.Driver, len(intents))
	var errs []error
	ss, err := e.DB.Services(ctx)
	if err != nil {
		return res, fmt.Errorf("read services: %w", err)
	}
	for _, s := range ss {
		name := s.Name
		if !flag(s, "iaas_launch") {
			continue
		}
		d, err := e.serviceDriver(r, name)
		if err != nil {
			continue // the service's own steps report it
		}
		if !seen[d] {
			seen[d] = true
			drivers = append(drivers, d)
		}
		for i, h := range intents {
			if h.Service == name {
				intentDriver[i] = d
			}
		}
	}
	searched := map[iaas.Driver]bool{}
	claimed := make([]bool, len(intents))
	for _, d := range drivers {
		f, ok := iaas.As[RunFinder](d)
		if !ok {
			continue
		}
		is, err := f.FindByRun(ctx, e.DB.Name())
		if err != nil {
			errs = append(errs, fmt.Errorf("find the instances of run %s (driver %s): %w", e.DB.Name(), d.Name(), err))
			continue
		}
		searched[d] = true
		for _, in := range is {
			if known[in.ID] {
				continue
			}
			known[in.ID] = true
			i := matchIntent(intents, intentDriver, claimed, d, in)
			if i < 0 {
				if !in.State.Final() {
					res.unrecorded = append(res.unrecorded, foundInstance{d: d, inst: in})
				}
				continue
			}
			claimed[i] = true
			if err := e.adopt(ctx, intents[i], in); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for i, h := range intents {
		switch d := intentDriver[i]; {
		case claimed[i] || d == nil:
		case searched[d]:
			res.unmatched = append(res.unmatched, h)
		default:
			if _, ok := iaas.As[RunFinder](d); !ok {
				res.blind = append(res.blind, h)
				res.blindDrivers = append(res.blindDrivers, d.Name())
			}
		}
	}
	return res, errors.Join(errs...)
}

// matchIntent returns the index of the unclaimed intent of driver d that
// launched in: same client token, or, when the driver reports no token, the
// only intent of in's service. -1 when none.
func matchIntent(intents []store.HistoryRow, drivers []iaas.Driver, claimed []bool, d iaas.Driver, in iaas.Instance) int {
	match := -1
	for i, h := range intents {
		if claimed[i] || drivers[i] != d {
			continue
		}
		switch {
		case in.ClientToken != "":
			if h.ClientToken == in.ClientToken {
				return i
			}
		case in.Service != "" && h.Service == in.Service:
			if match >= 0 {
				return -1 // two intents of the service: which one is unknown
			}
			match = i
		}
	}
	return match
}

// adopt records in as the instance the intent h launched.
func (e *Engine) adopt(ctx context.Context, h store.HistoryRow, in iaas.Instance) error {
	if err := e.launchDone(ctx, h.Service, h.ID, in.ID, in.Handle); err != nil { // clears the host key
		return fmt.Errorf("service %q: record instance %s found for client token %s: %w", h.Service, in.ID, h.ClientToken, err)
	}
	if in.State.Final() {
		if err := e.markInstance(ctx, h.Service, in.ID, store.HistoryTerminated); err != nil {
			return fmt.Errorf("service %q: record %s terminated: %w", h.Service, in.ID, err)
		}
	}
	e.emit(ctx, Event{Service: h.Service, Kind: KindWarning, Step: StepLaunch, Detail: fmt.Sprintf(
		"launch attempt %d (client token %s) was never recorded; the driver found its instance %s (%s), now recorded",
		h.Attempt, h.ClientToken, in.ID, in.State)})
	return nil
}

package bootlevel

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/store"
)

// foundInstance is an instance a RunFinder reported under the run's name
// and the history does not hold, with the driver that found it.
type foundInstance struct {
	d    iaas.Driver
	inst iaas.Instance
}

// runSearch is what searchRun learned from the run's drivers.
type runSearch struct {
	// unrecorded are instances of the run (iaas.RunID.Claims) the history
	// does not hold, no intent claims and no service owns (a launch
	// recorded as failed that the cloud did start).
	unrecorded []foundInstance
	// owned are instances of the run a service's program launched
	// (Instance.Owner). Only terminate touches them, after its walk.
	owned []foundInstance
	// foreign are instances of the run's name that belong to another
	// record (another incarnation). Nothing touches them.
	foreign []foundInstance
	// unmatched are intents without an instance id whose driver searched
	// and found no instance with their client token.
	unmatched []store.HistoryRow
	// blind are intents without an instance id whose driver cannot search
	// (no RunFinder).
	blind []store.HistoryRow
	// blindDrivers names the driver of each blind intent.
	blindDrivers []string
}

// runDrivers returns the distinct drivers of the run's launching services
// and, per service, its driver. A service whose driver cannot be opened is
// left out, with its error in failed (joined, each naming the service):
// a command whose walk reaches the service has its own steps report it; one
// that walks no service (SweepStartedBy) reports failed.
func (e *run) runDrivers(r *Resolver) (drivers []iaas.Driver, bySvc map[string]iaas.Driver, failed error) {
	bySvc = map[string]iaas.Driver{}
	seen := map[iaas.Driver]bool{}
	var errs []error
	for s := range e.v.rows() {
		if !flag(s, "iaas_launch") {
			continue
		}
		d, err := e.serviceDriver(r, s.Name)
		if err != nil {
			errs = append(errs, fmt.Errorf("service %q: %w", s.Name, err))
			continue
		}
		bySvc[s.Name] = d
		if !seen[d] {
			seen[d] = true
			drivers = append(drivers, d)
		}
	}
	return drivers, bySvc, errors.Join(errs...)
}

// findRun asks d, when it has the RunFinder ability, for the instances of
// the run's name. ok is false for a driver that cannot search.
func (e *run) findRun(ctx context.Context, d iaas.Driver) (is []iaas.Instance, ok bool, err error) {
	f, ok := iaas.As[iaas.RunFinder](d)
	if !ok {
		return nil, false, nil
	}
	id := e.id
	is, err = f.FindByRun(ctx, id)
	if err != nil {
		return nil, true, fmt.Errorf("find the instances of run %s (driver %s): %w", id, d.Name(), err)
	}
	return is, true, nil
}

// searchRun asks every driver of the run's launching services that has the
// RunFinder ability for the instances of the run's name, and keeps those
// the run claims (iaas.RunID.Claims: its full id, or a client token its
// history holds); the others belong to another record of the same name
// and are only reported (foreign). An intent without an instance id (the
// launch call returned, or not, while the record was not written) whose
// client token (else, for a driver that does not report tokens, whose
// service, when it has one such intent) matches a claimed instance is
// completed with it, as the launch would have recorded it: history row
// launched, the service's instance, its host key cleared (the record
// helpers, so a command's image follows); a warning event says so.
// Instances a service launched (Instance.Owner) are never adopted. What
// stays unexplained is returned. The error joins the searches and records
// that failed; the rest of the result is still valid.
func (e *run) searchRun(ctx context.Context, r *Resolver) (runSearch, error) {
	var res runSearch
	hs := e.v.allHistory()
	known := map[string]bool{}
	issued := map[string]bool{}
	var intents []store.HistoryRow
	for _, h := range hs {
		issued[h.ClientToken] = true
		if h.InstanceID != "" {
			known[h.InstanceID] = true
		} else if h.State == store.HistoryIntent {
			intents = append(intents, h)
		}
	}
	drivers, bySvc, _ := e.runDrivers(r) // each service's steps report its driver
	intentDriver := make([]iaas.Driver, len(intents))
	for i, h := range intents {
		intentDriver[i] = bySvc[h.Service]
	}
	var errs []error
	searched := map[iaas.Driver]bool{}
	claimed := make([]bool, len(intents))
	id := e.id
	for _, d := range drivers {
		is, ok, err := e.findRun(ctx, d)
		if !ok || err != nil {
			errs = append(errs, err)
			continue
		}
		searched[d] = true
		for _, in := range is {
			if known[in.ID] {
				continue
			}
			known[in.ID] = true
			f := foundInstance{d: d, inst: in}
			switch {
			case !id.Claims(in, func(tok string) bool { return issued[tok] }):
				res.foreign = append(res.foreign, f)
				continue
			case in.Owner != "":
				res.owned = append(res.owned, f)
				continue
			}
			i := matchIntent(intents, intentDriver, claimed, d, in)
			if i < 0 {
				if !in.State.Final() {
					res.unrecorded = append(res.unrecorded, f)
				}
				continue
			}
			claimed[i] = true
			if e.DB.ReadOnly() {
				// A listing without the lock records nothing: the
				// instance of the intent is shown as found (whatever
				// its state), not adopted.
				res.unrecorded = append(res.unrecorded, f)
				continue
			}
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
			if _, ok := iaas.As[iaas.RunFinder](d); !ok {
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
func (e *run) adopt(ctx context.Context, h store.HistoryRow, in iaas.Instance) error {
	if err := e.launchDone(ctx, h.ID, in.ID, in.Handle); err != nil { // clears the host key
		return fmt.Errorf("service %q: record instance %s found for client token %s: %w", h.Service, in.ID, h.ClientToken, err)
	}
	if in.State.Final() {
		if err := e.markInstance(ctx, in.ID, store.HistoryTerminated); err != nil {
			return fmt.Errorf("service %q: record %s terminated: %w", h.Service, in.ID, err)
		}
	}
	e.emit(ctx, Event{Service: h.Service, Kind: KindWarning, Step: StepLaunch, Detail: fmt.Sprintf(
		"launch attempt %d (client token %s) was never recorded; the driver found its instance %s (%s), now recorded",
		h.Attempt, h.ClientToken, in.ID, in.State)})
	return nil
}

package bootlevel

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/store"
)

// HistoryEntry is one instance ever launched for the run, with what the
// cloud says of it now.
type HistoryEntry struct {
	Service     string
	Attempt     int
	InstanceID  string
	ClientToken string
	Driver      string
	// Recorded is the state the record holds for the instance.
	Recorded store.HistoryState
	// State is the driver's current view (StateUnknown when it could not be
	// asked; Err says why).
	State    iaas.State
	Hostname string
	// Current is true for the service's current instance.
	Current bool
	// Killed is true when History(kill) terminated it.
	Killed bool
	Err    error
}

// History lists every instance the run ever launched (intents without an
// instance id are left out) with its current state, asking each driver once.
// With kill, running and pending instances are terminated.
func (e *Engine) History(ctx context.Context, kill bool) ([]HistoryEntry, error) {
	hs, err := e.DB.InstanceHistory(ctx)
	if err != nil {
		return nil, fmt.Errorf("read instance history: %w", err)
	}
	r, err := LoadResolver(ctx, e.DB, e.LookupEnv)
	if err != nil {
		return nil, err
	}
	var out []HistoryEntry
	var rows []store.HistoryRow
	for _, h := range hs {
		if h.InstanceID == "" {
			continue
		}
		s, _ := r.Service(h.Service)
		rows = append(rows, h)
		out = append(out, HistoryEntry{
			Service: h.Service, Attempt: h.Attempt, InstanceID: h.InstanceID, ClientToken: h.ClientToken,
			Driver: h.Driver, Recorded: h.State, Current: s.InstanceID == h.InstanceID,
		})
	}
	e.describeHistory(ctx, r, rows, out)
	var errs []error
	if kill {
		for i := range out {
			if st := out[i].State; st != iaas.StateRunning && st != iaas.StatePending {
				continue
			}
			cctx, cancel := e.cleanup(ctx)
			err := e.terminateInstance(cctx, r, rows[i].Service, rows[i].InstanceID, rows[i].Handle)
			cancel()
			if err != nil {
				errs = append(errs, fmt.Errorf("service %q: %w", rows[i].Service, err))
				continue
			}
			out[i].Killed = true
		}
	}
	return out, errors.Join(errs...)
}

// describeHistory fills State, Hostname and Err of out, one Describe call
// per driver.
func (e *Engine) describeHistory(ctx context.Context, r *Resolver, rows []store.HistoryRow, out []HistoryEntry) {
	byDriver := map[iaas.Driver][]int{}
	var order []iaas.Driver
	for i, h := range rows {
		d, err := e.serviceDriver(r, h.Service)
		if err != nil {
			out[i].Err = err
			continue
		}
		if _, ok := byDriver[d]; !ok {
			order = append(order, d)
		}
		byDriver[d] = append(byDriver[d], i)
	}
	for _, d := range order {
		idx := byDriver[d]
		refs := make([]iaas.Ref, len(idx))
		for j, i := range idx {
			refs[j] = iaas.Ref{ID: rows[i].InstanceID, Handle: rows[i].Handle}
		}
		is, err := d.Describe(ctx, refs...)
		for j, i := range idx {
			switch {
			case err != nil:
				out[i].Err = err
			case j < len(is):
				out[i].State, out[i].Hostname, out[i].Err = is[j].State, is[j].Hostname, is[j].Err
			}
		}
	}
}

// Clean terminates the instances left behind: those of the history that run
// (or are pending) but are not their service's current instance, and those
// whose service is still new. The CLI runs it after boot, status, repair and
// reboot. It returns the ids it terminated.
func (e *Engine) Clean(ctx context.Context) ([]string, error) {
	entries, err := e.History(ctx, false)
	if err != nil {
		return nil, err
	}
	r, err := LoadResolver(ctx, e.DB, e.LookupEnv)
	if err != nil {
		return nil, err
	}
	hs, err := e.DB.InstanceHistory(ctx)
	if err != nil {
		return nil, err
	}
	handles := map[string][]byte{}
	for _, h := range hs {
		handles[h.InstanceID] = h.Handle
	}
	var done []string
	var errs []error
	for _, h := range entries {
		if h.State != iaas.StateRunning && h.State != iaas.StatePending {
			continue
		}
		s, _ := r.Service(h.Service)
		why := ""
		switch {
		case !h.Current:
			why = "orphaned instance"
		case s.State == store.StateNew:
			why = "pre-staged instance of a service never booted"
		default:
			continue
		}
		cctx, cancel := e.cleanup(ctx)
		err := e.terminateInstance(cctx, r, h.Service, h.InstanceID, handles[h.InstanceID])
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("service %q: %w", h.Service, err))
			continue
		}
		e.emit(ctx, Event{Service: h.Service, Kind: KindWarning, Step: StepTerminate, Detail: "terminated " + why + " " + h.InstanceID})
		done = append(done, h.InstanceID)
	}
	return done, errors.Join(errs...)
}

package bootlevel

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/store"
)

// HistoryEntry is one instance ever launched for the run, with what the
// cloud says of it now.
type HistoryEntry struct {
	Service string
	// Level is the service's level number (0 for an unrecorded instance
	// of a service the record does not hold).
	Level   int
	Attempt int
	// Launched is when the launch call returned the instance id (for an
	// unrecorded instance, when the driver says it was launched; zero if
	// it cannot tell).
	Launched    time.Time
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
	// Unrecorded is true for an instance of the run that the record does
	// not hold, found by a driver with the RunFinder ability (Recorded is
	// then empty).
	Unrecorded bool
	// Owner, on an unrecorded instance, is the service of the run whose
	// program launched it (iaas.Instance.Owner). History and Clean never
	// terminate it; Terminate does, after the owner's terminatepgm ran.
	Owner string
	// OtherRun, on an unrecorded instance, is the full id of the record
	// it belongs to: launched under the run's name by another record
	// (another record directory, another person on the account). Nothing
	// touches it.
	OtherRun string
	Err      error
}

// History lists every instance the run ever launched (intents without an
// instance id are left out) with its current state, asking each driver once.
// Drivers with the RunFinder ability are asked for the run's instances
// first: an intent whose instance id was never recorded is completed with
// the instance carrying its client token, and instances of the run the
// record does not explain are listed as Unrecorded: with Owner when a
// service of the run launched them, with OtherRun when they belong to
// another record of the same name (those still pending or running). With
// kill, running and pending instances are terminated, except owned ones
// and other records'. A record opened read-only (no lock) is only
// listed: an instance found for an intent is shown as Unrecorded rather
// than recorded, and kill is refused.
func (e *Engine) History(ctx context.Context, kill bool) ([]HistoryEntry, error) {
	if kill && e.DB.ReadOnly() {
		return nil, fmt.Errorf("history: terminating instances needs the run's record open for writing: %w", store.ErrReadOnly)
	}
	rn, err := e.begin(ctx, CommandHistory)
	if err != nil {
		return nil, err
	}
	hl, r, err := rn.listHistory(ctx)
	if hl == nil {
		return nil, err
	}
	errs := []error{err}
	if kill {
		for i := range hl.entries {
			if !hl.entries[i].killable() {
				continue
			}
			if err := rn.killEntry(ctx, r, hl, i); err != nil {
				errs = append(errs, err)
				continue
			}
			hl.entries[i].Killed = true
		}
	}
	return hl.entries, errors.Join(errs...)
}

// historyList is the history of the run with what it takes to terminate
// each entry.
type historyList struct {
	entries []HistoryEntry
	refs    []iaas.Ref
	// found is the driver of an Unrecorded entry, nil for recorded ones
	// (terminated through their service's driver and recorded).
	found []iaas.Driver
}

// listHistory searches the run (searchRun), then lists the history rows
// with an instance id and the unrecorded instances found, with the
// drivers' current view. A nil list comes with the error that prevented
// it; otherwise the error joins what went wrong on the way.
func (e *run) listHistory(ctx context.Context) (*historyList, *Resolver, error) {
	r := e.resolver() // over the image, which follows what searchRun records
	found, serr := e.searchRun(ctx, r)
	hs := e.v.allHistory()
	hl := &historyList{}
	var rows []store.HistoryRow
	for _, h := range hs {
		if h.InstanceID == "" {
			continue
		}
		s, _ := r.Service(h.Service)
		rows = append(rows, h)
		hl.entries = append(hl.entries, HistoryEntry{
			Service: h.Service, Level: s.Level, Attempt: h.Attempt, Launched: h.Launched,
			InstanceID: h.InstanceID, ClientToken: h.ClientToken,
			Driver: h.Driver, Recorded: h.State, Current: s.InstanceID == h.InstanceID,
		})
		hl.refs = append(hl.refs, iaas.Ref{ID: h.InstanceID, Handle: h.Handle})
		hl.found = append(hl.found, nil)
	}
	e.describeHistory(ctx, r, rows, hl.entries)
	add := func(f foundInstance, otherRun string) {
		s, _ := r.Service(f.inst.Service)
		hl.entries = append(hl.entries, HistoryEntry{
			Service: f.inst.Service, Level: s.Level, Launched: f.inst.LaunchedAt, InstanceID: f.inst.ID, ClientToken: f.inst.ClientToken, Driver: f.d.Name(),
			State: f.inst.State, Hostname: f.inst.Hostname, Unrecorded: true, Owner: f.inst.Owner, OtherRun: otherRun,
			Err: f.inst.Err,
		})
		hl.refs = append(hl.refs, iaas.Ref{ID: f.inst.ID, Handle: f.inst.Handle})
		hl.found = append(hl.found, f.d)
	}
	for _, f := range found.unrecorded {
		add(f, "")
	}
	for _, f := range found.owned {
		add(f, "")
	}
	for _, f := range found.foreign {
		if !f.inst.State.Final() {
			add(f, f.inst.Run.String())
		}
	}
	hl.sort()
	return hl, r, serr
}

// sort orders the list by level, then service name as people read them
// (plan.CompareNames: worker-2 before worker-10), then attempt and launch
// time; the listing order of equal entries is kept.
func (hl *historyList) sort() {
	idx := make([]int, len(hl.entries))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(i, j int) int {
		a, b := hl.entries[i], hl.entries[j]
		return cmp.Or(cmp.Compare(a.Level, b.Level), plan.CompareNames(a.Service, b.Service),
			cmp.Compare(a.Attempt, b.Attempt), a.Launched.Compare(b.Launched))
	})
	entries, refs, found := make([]HistoryEntry, len(idx)), make([]iaas.Ref, len(idx)), make([]iaas.Driver, len(idx))
	for k, i := range idx {
		entries[k], refs[k], found[k] = hl.entries[i], hl.refs[i], hl.found[i]
	}
	hl.entries, hl.refs, hl.found = entries, refs, found
}

// killable reports whether History(kill) and Clean may terminate the
// entry's instance: it runs or is pending, and it is the run's own — not
// launched by one of its services (terminate sweeps those after their
// owner's terminatepgm), not another record's.
func (h HistoryEntry) killable() bool {
	if h.Owner != "" || h.OtherRun != "" {
		return false
	}
	return h.State == iaas.StateRunning || h.State == iaas.StatePending
}

// killEntry terminates the instance of entry i under a clean-up context.
func (e *run) killEntry(ctx context.Context, r *Resolver, hl *historyList, i int) error {
	cctx, cancel := e.cleanup(ctx)
	defer cancel()
	h := hl.entries[i]
	if d := hl.found[i]; d != nil {
		return e.terminateFound(cctx, foundInstance{d: d, inst: iaas.Instance{ID: h.InstanceID, Handle: hl.refs[i].Handle, Service: h.Service, ClientToken: h.ClientToken}})
	}
	if err := e.terminateInstance(cctx, r, h.Service, h.InstanceID, hl.refs[i].Handle); err != nil {
		return fmt.Errorf("service %q: %w", h.Service, err)
	}
	return nil
}

// describeHistory fills State, Hostname and Err of out, one Describe call
// per driver.
func (e *run) describeHistory(ctx context.Context, r *Resolver, rows []store.HistoryRow, out []HistoryEntry) {
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
// (or are pending) but are not their service's current instance, those
// whose service is still new, and running or pending instances of the run
// that the record does not hold, found by drivers with the RunFinder
// ability. It never terminates an instance a service of the run launched
// (HistoryEntry.Owner) nor another record's (HistoryEntry.OtherRun). The CLI runs it after boot, status, repair and reboot. It
// returns the ids it terminated.
func (e *Engine) Clean(ctx context.Context) ([]string, error) {
	rn, err := e.begin(ctx, CommandClean)
	if err != nil {
		return nil, err
	}
	hl, r, err := rn.listHistory(ctx)
	if hl == nil {
		return nil, err
	}
	errs := []error{err}
	var done []string
	for i, h := range hl.entries {
		if !h.killable() {
			continue
		}
		s, _ := r.Service(h.Service)
		why := ""
		switch {
		case h.Unrecorded:
			why = "unrecorded instance"
		case !h.Current:
			why = "orphaned instance"
		case s.State == store.StateNew:
			why = "pre-staged instance of a service never booted"
		default:
			continue
		}
		if err := rn.killEntry(ctx, r, hl, i); err != nil {
			errs = append(errs, err)
			continue
		}
		if !h.Unrecorded { // terminateFound has said it
			e.emit(ctx, Event{Service: h.Service, Kind: KindWarning, Step: StepTerminate, Detail: "terminated " + why + " " + h.InstanceID})
		}
		done = append(done, h.InstanceID)
	}
	return done, errors.Join(errs...)
}

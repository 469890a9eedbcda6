package bootlevel

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/store"
)

// view is an in-memory image of a run record: service rows, attribute
// bags, instance history and globals. A command loads one when it starts
// (Engine.begin) and hands it to its helpers in its run value (run.go);
// the record helpers there update it right after the write to the record
// succeeded, from the rows the store returns. Since the process writing a run holds the run's
// lock, nobody else changes the record and reading the image is reading the
// record; the record stays the source of truth for any later process, which
// loads its own image from it. Host keys are the exception: the SSH
// connector keeps them in the record only (the image's HostKey is stale).
type view struct {
	run iaas.RunID
	// secret is the run's secret (store.DB.RunSecret), the attribute
	// run_secret; the resolver adds it to the command's Secrets.
	secret  string
	globals map[string]string // never changes after load
	// startedBy is the command that owns the run (store.Owner, "run" for
	// 'cloudinitd run'; "" for none): it goes on every launch spec
	// (iaas.LaunchSpec.StartedBy), so that SweepStartedBy finds the run's
	// instances when its record is gone.
	startedBy string

	mu       sync.RWMutex
	services map[string]*store.Service
	order    []string // plan order: level, position
	attrs    map[string][]store.Attr
	history  map[string][]store.HistoryRow // per service, oldest first
	// bootout holds why a service's bootout.json was ignored in this
	// command (the journal keeps it as a warning event).
	bootout map[string]string
}

// loadView reads the image of db's run: a few queries, whatever the size
// of the run. With written (what store.DB.PutNewPlan returned, the record
// unchanged since) the services and bags are those rows instead of read.
func loadView(ctx context.Context, db *store.DB, written *store.PlanRows) (*view, error) {
	ss, bags, err := viewRows(ctx, db, written)
	if err != nil {
		return nil, err
	}
	hs, err := db.InstanceHistory(ctx)
	if err != nil {
		return nil, fmt.Errorf("read instance history: %w", err)
	}
	gs, err := db.Globals(ctx)
	if err != nil {
		return nil, fmt.Errorf("read globals: %w", err)
	}
	row, err := db.Run(ctx)
	if err != nil {
		return nil, err
	}
	v := &view{run: iaas.RunID{Name: db.Name(), Incarnation: db.Incarnation()}, secret: db.RunSecret(), globals: map[string]string{},
		startedBy: row.Owner.Command, services: make(map[string]*store.Service, len(ss)),
		order: make([]string, 0, len(ss)), attrs: bags, history: map[string][]store.HistoryRow{}}
	for i := range ss {
		v.services[ss[i].Name] = &ss[i]
		v.order = append(v.order, ss[i].Name)
	}
	for _, h := range hs {
		v.history[h.Service] = append(v.history[h.Service], h)
	}
	for _, g := range gs { // ordered by rank: the highest rank is written last
		if !g.Redacted {
			v.globals[g.Name] = g.Value
		}
	}
	return v, nil
}

// viewRows returns the services and bags of db's run: written's, or read.
func viewRows(ctx context.Context, db *store.DB, written *store.PlanRows) ([]store.Service, map[string][]store.Attr, error) {
	if written != nil {
		return written.Services, written.Bags, nil
	}
	ss, err := db.Services(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("read services: %w", err)
	}
	bags, err := db.Bags(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("read attributes: %w", err)
	}
	return ss, bags, nil
}

// service returns a copy of svc's row.
func (v *view) service(svc string) (store.Service, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	s, ok := v.services[svc]
	if !ok {
		return store.Service{}, false
	}
	return *s, true
}

// all returns copies of every row in plan order.
func (v *view) all() []store.Service {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]store.Service, 0, len(v.order))
	for _, n := range v.order {
		out = append(out, *v.services[n])
	}
	return out
}

// setBootoutProblem records why svc's bootout.json was ignored ("" when
// it was read).
func (v *view) setBootoutProblem(svc, cause string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	switch {
	case cause == "":
		delete(v.bootout, svc)
	case v.bootout == nil:
		v.bootout = map[string]string{svc: cause}
	default:
		v.bootout[svc] = cause
	}
}

// bootoutProblem returns why svc's bootout.json was ignored, "" if it was
// not (or not in this command).
func (v *view) bootoutProblem(svc string) string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.bootout[svc]
}

// bag returns svc's bag rows; the slice is never changed afterwards.
func (v *view) bag(svc string) []store.Attr {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.attrs[svc]
}

// launchHistory returns what needsLaunch reads of svc's history: a copy
// of its newest row (ok false: none) and the highest attempt of its rows
// (0: none). It copies no slice: every service of a boot asks once per
// command, and a copy of its rows (as needsLaunch read them before) made
// for the garbage collector to take back was 10,000 allocations of 200-400 bytes a boot of
// 10,000 services (docs/performance.md, scale6).
func (v *view) launchHistory(svc string) (last store.HistoryRow, ok bool, maxAttempt int) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	hs := v.history[svc]
	for _, h := range hs {
		maxAttempt = max(maxAttempt, h.Attempt)
	}
	if n := len(hs); n > 0 {
		return hs[n-1], true, maxAttempt
	}
	return store.HistoryRow{}, false, maxAttempt
}

// update changes svc's row.
func (v *view) update(svc string, fn func(s *store.Service)) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if s, ok := v.services[svc]; ok {
		fn(s)
		s.Updated = time.Now()
	}
}

// appendBag appends rows, as the store wrote them, to svc's bag (a new
// slice: readers keep theirs).
func (v *view) appendBag(svc string, rows []store.Attr) {
	v.mu.Lock()
	defer v.mu.Unlock()
	old := v.attrs[svc]
	v.attrs[svc] = append(slices.Clip(old), rows...)
}

// addHistory appends a history row of h.Service.
func (v *view) addHistory(h store.HistoryRow) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.history[h.Service] = append(v.history[h.Service], h)
}

// putHistory replaces the history row with h's id by h, as the store
// wrote it.
func (v *view) putHistory(h store.HistoryRow) {
	v.mu.Lock()
	defer v.mu.Unlock()
	hs := v.history[h.Service]
	for i := range hs {
		if hs[i].ID == h.ID {
			hs[i] = h
			return
		}
	}
}

// allHistory returns a copy of every history row, oldest first.
func (v *view) allHistory() []store.HistoryRow {
	v.mu.RLock()
	defer v.mu.RUnlock()
	var out []store.HistoryRow
	for _, hs := range v.history {
		out = append(out, hs...)
	}
	slices.SortFunc(out, func(a, b store.HistoryRow) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

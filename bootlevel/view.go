package bootlevel

import (
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
// (Engine.begin) and carries it in its context; the engine's record
// helpers (record.go) update it in the same place, right after the write to
// the record succeeded. Since the process writing a run holds the run's
// lock, nobody else changes the record and reading the image is reading the
// record; the record stays the source of truth for any later process, which
// loads its own image from it. Host keys are the exception: the SSH
// connector keeps them in the record only (the image's HostKey is stale).
type view struct {
	run     iaas.RunID
	globals map[string]string // never changes after load

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
// of the run.
func loadView(ctx context.Context, db *store.DB) (*view, error) {
	ss, err := db.Services(ctx)
	if err != nil {
		return nil, fmt.Errorf("read services: %w", err)
	}
	bags, err := db.Bags(ctx)
	if err != nil {
		return nil, fmt.Errorf("read attributes: %w", err)
	}
	hs, err := db.InstanceHistory(ctx)
	if err != nil {
		return nil, fmt.Errorf("read instance history: %w", err)
	}
	gs, err := db.Globals(ctx)
	if err != nil {
		return nil, fmt.Errorf("read globals: %w", err)
	}
	v := &view{run: iaas.RunID{Name: db.Name(), Incarnation: db.Incarnation()}, globals: map[string]string{}, services: make(map[string]*store.Service, len(ss)),
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

type viewKey struct{}

// withView returns ctx carrying the command's image v.
func withView(ctx context.Context, v *view) context.Context {
	return context.WithValue(ctx, viewKey{}, v)
}

// viewOf returns the image ctx carries, nil outside a command.
func viewOf(ctx context.Context) *view {
	v, _ := ctx.Value(viewKey{}).(*view)
	return v
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

// serviceHistory returns a copy of svc's history rows, oldest first.
func (v *view) serviceHistory(svc string) []store.HistoryRow {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return slices.Clone(v.history[svc])
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

// appendBag appends rows to svc's bag (a new slice: readers keep theirs).
func (v *view) appendBag(svc string, origin store.Origin, attrs []store.Attr) {
	v.mu.Lock()
	defer v.mu.Unlock()
	old := v.attrs[svc]
	seq := int64(0)
	if n := len(old); n > 0 {
		seq = old[n-1].Seq
	}
	bag := slices.Grow(slices.Clip(old), len(attrs))
	for i, a := range attrs {
		bag = append(bag, store.Attr{Seq: seq + int64(i) + 1, Key: a.Key, Value: a.Value, Origin: origin})
	}
	v.attrs[svc] = bag
}

// addHistory appends a history row of h.Service.
func (v *view) addHistory(h store.HistoryRow) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.history[h.Service] = append(v.history[h.Service], h)
}

// updateHistory changes svc's history rows for which match is true.
func (v *view) updateHistory(svc string, match func(h *store.HistoryRow) bool, fn func(h *store.HistoryRow)) {
	v.mu.Lock()
	defer v.mu.Unlock()
	hs := v.history[svc]
	for i := range hs {
		if match(&hs[i]) {
			fn(&hs[i])
		}
	}
}

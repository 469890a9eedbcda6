package bootlevel

import (
	"context"
	"fmt"
	"iter"
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
//
// Each service's row, bag and history are an entry with its own lock,
// and the map of entries is made by loadView and never changed after, so
// that finding an entry takes no lock: the services of a level, which
// read and update their own rows all the time, do not wait for each
// other (one lock for the whole image was 8 % of the boot's CPU at
// 10,000 and 100,000 services, docs/performance.md, scale7).
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

	// services holds an entry for every service of the record, and for
	// every name that has a bag or history at load; never changed after
	// loadView.
	services map[string]*entry
	order    []*entry // the services' entries in plan order: level, position

	mu sync.Mutex
	// extra holds the entries of names loadView did not know (a history
	// row or bag rows given for them later), guarded by mu.
	extra map[string]*entry
}

// entry is one name's part of the image, guarded by its mu.
type entry struct {
	mu  sync.Mutex
	row *store.Service // nil: no service row of that name
	bag []store.Attr
	// history holds the name's instance history rows, oldest first.
	history []store.HistoryRow
	// bootout is why the service's bootout.json was ignored in this
	// command (the journal keeps it as a warning event).
	bootout string
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
		startedBy: row.Owner.Command, services: make(map[string]*entry, len(ss)), order: make([]*entry, 0, len(ss))}
	es := make([]entry, len(ss))
	for i := range ss {
		es[i].row = &ss[i]
		v.services[ss[i].Name] = &es[i]
		v.order = append(v.order, &es[i])
	}
	for name, b := range bags {
		v.loaded(name).bag = b
	}
	for _, h := range hs {
		en := v.loaded(h.Service)
		en.history = append(en.history, h)
	}
	for _, g := range gs { // ordered by rank: the highest rank is written last
		if !g.Redacted {
			v.globals[g.Name] = g.Value
		}
	}
	return v, nil
}

// loaded returns name's entry while loadView makes the image, new if
// needed.
func (v *view) loaded(name string) *entry {
	en := v.services[name]
	if en == nil {
		en = &entry{}
		v.services[name] = en
	}
	return en
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

// find returns name's entry (nil: none).
func (v *view) find(name string) *entry {
	if en := v.services[name]; en != nil {
		return en
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.extra[name]
}

// entry returns name's entry, made if it has none.
func (v *view) entry(name string) *entry {
	if en := v.find(name); en != nil {
		return en
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if en := v.extra[name]; en != nil {
		return en
	}
	if v.extra == nil {
		v.extra = map[string]*entry{}
	}
	en := &entry{}
	v.extra[name] = en
	return en
}

// service returns a copy of svc's row.
func (v *view) service(svc string) (store.Service, bool) {
	en := v.find(svc)
	if en == nil {
		return store.Service{}, false
	}
	en.mu.Lock()
	defer en.mu.Unlock()
	if en.row == nil {
		return store.Service{}, false
	}
	return *en.row, true
}

// all returns copies of every row in plan order.
func (v *view) all() []store.Service {
	out := make([]store.Service, 0, len(v.order))
	for _, en := range v.order {
		en.mu.Lock()
		out = append(out, *en.row)
		en.mu.Unlock()
	}
	return out
}

// rows yields a copy of every row in plan order, each read under its
// entry's lock (the loop's body runs without it): what all returns,
// without a slice of every row.
func (v *view) rows() iter.Seq[store.Service] {
	return func(yield func(store.Service) bool) {
		for _, en := range v.order {
			en.mu.Lock()
			s := *en.row
			en.mu.Unlock()
			if !yield(s) {
				return
			}
		}
	}
}

// setBootoutProblem records why svc's bootout.json was ignored ("" when
// it was read).
func (v *view) setBootoutProblem(svc, cause string) {
	en := v.entry(svc)
	en.mu.Lock()
	defer en.mu.Unlock()
	en.bootout = cause
}

// bootoutProblem returns why svc's bootout.json was ignored, "" if it was
// not (or not in this command).
func (v *view) bootoutProblem(svc string) string {
	en := v.find(svc)
	if en == nil {
		return ""
	}
	en.mu.Lock()
	defer en.mu.Unlock()
	return en.bootout
}

// bag returns svc's bag rows; the slice is never changed afterwards.
func (v *view) bag(svc string) []store.Attr {
	en := v.find(svc)
	if en == nil {
		return nil
	}
	en.mu.Lock()
	defer en.mu.Unlock()
	return en.bag
}

// update changes svc's row.
func (v *view) update(svc string, fn func(s *store.Service)) {
	en := v.find(svc)
	if en == nil {
		return
	}
	en.mu.Lock()
	defer en.mu.Unlock()
	if en.row != nil {
		fn(en.row)
		en.row.Updated = time.Now()
	}
}

// appendBag appends rows, as the store wrote them, to svc's bag (a new
// slice: readers keep theirs).
func (v *view) appendBag(svc string, rows []store.Attr) {
	en := v.entry(svc)
	en.mu.Lock()
	defer en.mu.Unlock()
	en.bag = append(slices.Clip(en.bag), rows...)
}

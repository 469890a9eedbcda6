package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"
)

// PlanRows is what PutNewPlan wrote, as the reads return it: the services
// as Services returns them (plan order: level number, then position; each
// one's settings sorted by key, a redacted setting without its value; in
// state new, Deps nil) and their attribute bags as Bags returns them (the
// deps rows, numbered from 1, origin deps; a service without deps rows
// has none). A command that starts on a record PutNewPlan has just
// written can take its image from here instead of reading it back.
type PlanRows struct {
	Services []Service
	Bags     map[string][]Attr
}

// errHasServices makes PutNewPlan's transaction roll back when the record
// already holds services.
var errHasServices = errors.New("the record already holds services")

// PutNewPlan is PutPlan on a record that holds no service yet (a new run):
// levels and services in one transaction, and the rows it wrote. The rows
// are made of ss in place (each service's settings sorted, a redacted
// one's value cleared, its deps rows moved to its bag), so that a large
// plan is not copied: the caller gives ss up. On a record that holds
// services (a reload, whose services keep their state, instances and
// bootout rows) it is PutPlan, ss is left as it was, and its PlanRows is
// nil: the caller reads the record.
func (db *DB) PutNewPlan(ctx context.Context, ls []Level, ss []Service) (*PlanRows, error) {
	var stamp string
	err := db.write(ctx, "", "put plan", func(ctx context.Context, tx *txn, now string) error {
		var any bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM service)`).Scan(&any); err != nil {
			return err
		}
		if any {
			return errHasServices
		}
		if err := putLevels(ctx, tx, ls); err != nil {
			return err
		}
		stamp = now
		// The rows' settings sorted once, in place: putServices then
		// writes them without a sorted copy, and newPlanRows finds
		// them sorted.
		for i := range ss {
			if !slices.IsSortedFunc(ss[i].Settings, compareKeys) {
				slices.SortFunc(ss[i].Settings, compareKeys)
			}
		}
		return putServices(ctx, tx, now, ss)
	})
	if errors.Is(err, errHasServices) {
		return nil, db.PutPlan(ctx, ls, ss)
	}
	if err != nil {
		return nil, err
	}
	return newPlanRows(ss, parseStamp(sql.NullString{String: stamp, Valid: true})), nil
}

// newPlanRows turns ss, just written by putServices as new services at
// now, into the rows the reads return.
func newPlanRows(ss []Service, now time.Time) *PlanRows {
	out := &PlanRows{Services: ss, Bags: map[string][]Attr{}}
	for i := range ss {
		s := &ss[i]
		s.State, s.Created, s.Updated = StateNew, now, now
		s.InstanceID, s.Hostname, s.LastError, s.Driver, s.Handle, s.HostKey, s.Attempt = "", "", "", "", nil, "", 0
		if len(s.Settings) == 0 {
			s.Settings = nil
		}
		if !slices.IsSortedFunc(s.Settings, compareKeys) {
			slices.SortFunc(s.Settings, compareKeys)
		}
		for j := range s.Settings {
			if s.Settings[j].Redacted {
				s.Settings[j].Value = "" // never stored
			}
		}
		if len(s.Deps) > 0 {
			for j := range s.Deps {
				s.Deps[j].Seq, s.Deps[j].Origin = int64(j+1), OriginDeps
			}
			out.Bags[s.Name] = s.Deps
		}
		s.Deps = nil
	}
	// Services' order: level number, position, then id (new rows get
	// increasing ids in the order of ss).
	byPlace := func(x, y Service) int {
		return cmp.Or(cmp.Compare(x.Level, y.Level), cmp.Compare(x.Position, y.Position))
	}
	if !slices.IsSortedFunc(ss, byPlace) {
		slices.SortStableFunc(ss, byPlace)
	}
	return out
}

func compareKeys(x, y Setting) int { return cmp.Compare(x.Key, y.Key) }

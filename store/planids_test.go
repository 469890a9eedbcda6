package store

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPlanKeepsServiceIDs: recording a plan leaves the DB every service's
// id as the record holds it (the boot's first write reads none back); a
// reload adds the new services' ids to the recorded ones; a plan that is
// refused leaves none of its ids.
func TestPlanKeepsServiceIDs(t *testing.T) {
	ctx := context.Background()
	recorded := func(db *DB) map[string]int64 {
		t.Helper()
		var m map[string]int64
		err := db.write(ctx, "", "read ids", func(ctx context.Context, tx *txn, _ string) error {
			var err error
			m, err = serviceIDsByName(ctx, tx)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	kept := func(db *DB) map[string]int64 {
		db.ids.mu.RLock()
		defer db.ids.mu.RUnlock()
		if !db.ids.all {
			return nil
		}
		return db.ids.m
	}

	db, _ := newRun(t)
	ls, ss := newPlan()
	if _, err := db.PutNewPlan(ctx, ls, ss); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(recorded(db), kept(db)); diff != "" {
		t.Errorf("after PutNewPlan, ids kept (-record +kept):\n%s", diff)
	}

	// A refused plan (a service given twice) keeps nothing of its own.
	bad := []Service{{Name: "new1", Level: 1}, {Name: "new1", Level: 2}}
	if err := db.PutServices(ctx, bad); err == nil {
		t.Fatal("PutServices with a service given twice succeeded")
	}
	if _, ok := kept(db)["new1"]; ok {
		t.Error("the id of a service of a refused plan was kept")
	}

	// A reload with a new service.
	_, again := newPlan()
	again = append(again, Service{Name: "extra", Level: 1, Position: 2})
	if err := db.PutPlan(ctx, ls, again); err != nil {
		t.Fatal(err)
	}
	want := recorded(db)
	if _, ok := want["extra"]; !ok {
		t.Fatal("the reload did not record service extra")
	}
	if diff := cmp.Diff(want, kept(db)); diff != "" {
		t.Errorf("after a reload, ids kept (-record +kept):\n%s", diff)
	}
	if err := db.SetState(ctx, "extra", StateReady, ""); err != nil {
		t.Fatalf("a write of the new service: %v", err)
	}
}

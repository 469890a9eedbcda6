package local_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// TestPrune: Prune removes the directory, token and run key of a
// terminated instance whose run is not kept, and leaves a live instance
// and a kept run's terminated one; a dry run removes nothing.
func TestPrune(t *testing.T) {
	dir := t.TempDir()
	d := newDriver(t, dir)
	ctx := context.Background()
	gone := waitRunning(t, d, launch(t, d, "gone", "web"))
	kept := waitRunning(t, d, launch(t, d, "kept", "web"))
	live := waitRunning(t, d, launch(t, d, "live", "web"))
	if err := d.Terminate(ctx, ref(gone), ref(kept)); err != nil {
		t.Fatal(err)
	}
	keep := func(r iaas.RunID) bool { return r.Name == "kept" }
	goneKey := filepath.Dir(gone.SSH.PrivateKeyPath)

	dry, err := d.Prune(ctx, keep, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(dry) != 2 || dry[0].Path != filepath.Join(dir, gone.ID) || dry[1].Path != goneKey {
		t.Fatalf("dry run: %+v, want %s and its key %s", dry, gone.ID, goneKey)
	}
	for _, p := range []string{filepath.Join(dir, gone.ID), goneKey} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("dry run removed %s: %v", p, err)
		}
	}

	got, err := d.Prune(ctx, keep, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Run.Name != "gone" || got[1].What != "run key" {
		t.Fatalf("Prune: %+v", got)
	}
	for _, p := range []string{filepath.Join(dir, gone.ID), goneKey} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there (%v)", p, err)
		}
	}
	// The live instance still runs, with its files; the kept run's
	// terminated instance is still there.
	for _, in := range []iaas.Instance{kept, live} {
		if _, err := os.Stat(filepath.Join(dir, in.ID, "meta.json")); err != nil {
			t.Errorf("%s: %v", in.ID, err)
		}
	}
	if _, err := os.Stat(live.SSH.PrivateKeyPath); err != nil {
		t.Errorf("live run's key: %v", err)
	}
	is, err := d.Describe(ctx, ref(live))
	if err != nil || is[0].State != iaas.StateRunning {
		t.Errorf("live instance after Prune: %+v, %v", is, err)
	}
	// Nothing is kept now: the live instance still stays.
	got, err = d.Prune(ctx, func(iaas.RunID) bool { return false }, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Path != filepath.Join(dir, kept.ID) {
		t.Errorf("second Prune: %+v, want only %s and its key", got, kept.ID)
	}
	if _, err := os.Stat(filepath.Join(dir, live.ID)); err != nil {
		t.Errorf("live instance's directory: %v", err)
	}
}

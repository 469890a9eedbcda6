package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestValidateName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"8d5e0753", true},
		{"My.run_2-b", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{"-x", false},
		{".hidden", false},
		{"a/b", false},
		{"a b", false},
		{"../x", false},
	} {
		err := ValidateName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidName) {
			t.Errorf("ValidateName(%q) = %v, want ErrInvalidName", tc.name, err)
		}
	}
	if _, err := Create(context.Background(), t.TempDir(), "a/b", Run{}); !errors.Is(err, ErrInvalidName) {
		t.Errorf("Create with a bad name: %v, want ErrInvalidName", err)
	}
}

func TestDefaultDirAndPath(t *testing.T) {
	t.Setenv("HOME", "/home/u")
	dir, err := DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	if dir != "/home/u/.cloudinitd" {
		t.Errorf("DefaultDir = %q", dir)
	}
	if got := Path(dir, "r1"); got != "/home/u/.cloudinitd/cloudinitd-r1.db" {
		t.Errorf("Path = %q", got)
	}
}

func TestCreateOpenReopen(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "nested", "dbdir")
	db, err := Create(ctx, dir, "r1", Run{TopConf: "/p/top.conf", ToolVersion: "v1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	twoLevels(t, db)
	if err := db.SetRunStatus(ctx, RunUp); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(ctx, dir, "r1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := db.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := Run{Name: "r1", TopConf: "/p/top.conf", Status: RunUp, ToolVersion: "v1.2.3"}
	if diff := cmp.Diff(want, r, cmpopts.IgnoreFields(Run{}, "Created", "Updated", "Incarnation")); diff != "" {
		t.Errorf("Run (-want +got):\n%s", diff)
	}
	if len(r.Incarnation) != 8 || r.Incarnation != db.Incarnation() {
		t.Errorf("incarnation: run row %q, reopened DB %q; want the same 8 hex digits", r.Incarnation, db.Incarnation())
	}
	if r.Created.IsZero() || r.Updated.Before(r.Created) {
		t.Errorf("times: created %v updated %v", r.Created, r.Updated)
	}
	ss, err := db.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 4 {
		t.Errorf("reopened record has %d services, want 4", len(ss))
	}
}

func TestErrExistsErrNoRun(t *testing.T) {
	ctx := context.Background()
	db, dir := newRun(t)
	db.Close()
	_, err := Create(ctx, dir, "r1", Run{})
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), Path(dir, "r1")) {
		t.Errorf("Create of an existing run: %v, want ErrExists naming the path", err)
	}
	for name, open := range map[string]func(context.Context, string, string) (*DB, error){
		"Open": Open, "OpenReadOnly": OpenReadOnly,
	} {
		_, err := open(ctx, dir, "nope")
		if !errors.Is(err, ErrNoRun) || !strings.Contains(err.Error(), Path(dir, "nope")) {
			t.Errorf("%s of a missing run: %v, want ErrNoRun naming the path", name, err)
		}
	}
	if _, err := os.Stat(Path(dir, "nope")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("opening a missing run created its file: %v", err)
	}
	if err := Remove(dir, "nope"); !errors.Is(err, ErrNoRun) {
		t.Errorf("Remove of a missing run: %v, want ErrNoRun", err)
	}
}

func TestPermissions(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "dbdir")
	db, err := Create(ctx, dir, "r1", Run{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	twoLevels(t, db) // writes, so that -wal and -shm exist
	check := func(path string, want os.FileMode) {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v", filepath.Base(path), got, want)
		}
	}
	check(dir, 0o700)
	for _, f := range []string{Path(dir, "r1"), Path(dir, "r1") + "-wal", Path(dir, "r1") + "-shm", LockPath(dir, "r1")} {
		check(f, 0o600)
	}
}

func TestListAndRemove(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if got, err := List(filepath.Join(dir, "missing")); err != nil || len(got) != 0 {
		t.Errorf("List of a missing dir = %v, %v", got, err)
	}
	for _, run := range []string{"zeta", "alpha", "m1"} {
		db, err := Create(ctx, dir, run, Run{})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// Not runs: a stray file, a lock, a bad name.
	for _, f := range []string{"notes.txt", "cloudinitd-x.lock", "cloudinitd-.db"} {
		os.WriteFile(filepath.Join(dir, f), nil, 0o600)
	}
	got, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"alpha", "m1", "zeta"}, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	if err := Remove(dir, "m1"); err != nil {
		t.Fatal(err)
	}
	got, _ = List(dir)
	if diff := cmp.Diff([]string{"alpha", "zeta"}, got); diff != "" {
		t.Errorf("List after Remove (-want +got):\n%s", diff)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "cloudinitd-m1*"))
	if len(left) != 0 {
		t.Errorf("Remove left %v", left)
	}
}

func TestDelete(t *testing.T) {
	db, dir := newRun(t)
	twoLevels(t, db)
	if err := db.Delete(); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "cloudinitd-r1*"))
	if len(left) != 0 {
		t.Errorf("Delete left %v", left)
	}
}

func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	db, dir := newRun(t)
	twoLevels(t, db)

	// A reader runs beside the writer, without the lock.
	ro, err := OpenReadOnly(ctx, dir, "r1")
	if err != nil {
		t.Fatal(err)
	}
	ss, err := ro.Services(ctx)
	if err != nil || len(ss) != 4 {
		t.Fatalf("read-only Services = %d, %v", len(ss), err)
	}
	if err := ro.SetState(ctx, "web", StateReady, ""); !errors.Is(err, ErrReadOnly) {
		t.Errorf("SetState on a read-only DB: %v, want ErrReadOnly", err)
	}
	if err := db.SetState(ctx, "web", StateReady, ""); err != nil {
		t.Fatalf("writer beside a reader: %v", err)
	}
	s, err := ro.Service(ctx, "web")
	if err != nil || s.State != StateReady {
		t.Errorf("reader sees %q, %v; want the writer's ready", s.State, err)
	}
	ro.Close()

	// After the writer closed (WAL checkpointed, -shm gone) a reader still opens.
	db.Close()
	ro, err = OpenReadOnly(ctx, dir, "r1")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestCreateFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Create(ctx, dir, "r1", Run{}); err == nil {
		t.Fatal("Create with a cancelled context succeeded")
	}
	left, _ := filepath.Glob(filepath.Join(dir, "cloudinitd-r1*"))
	if len(left) != 0 {
		t.Errorf("failed Create left %v", left)
	}
	db, err := Create(context.Background(), dir, "r1", Run{})
	if err != nil {
		t.Fatalf("Create after a failed Create: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestIncarnationDiffersOnReuse: a run deleted and created again under the
// same name is a new incarnation, so its launches get new client tokens.
func TestIncarnationDiffersOnReuse(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	seen := map[string]bool{}
	for range 3 {
		db, err := Create(ctx, dir, "again", Run{})
		if err != nil {
			t.Fatal(err)
		}
		inc := db.Incarnation()
		if inc == "" || seen[inc] {
			t.Fatalf("incarnation %q: want a new, non-empty one each time (had %v)", inc, seen)
		}
		seen[inc] = true
		if err := db.Delete(); err != nil {
			t.Fatal(err)
		}
	}
}

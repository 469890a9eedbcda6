package store

import (
	"context"
	"database/sql"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

func pageSizeOf(t *testing.T, sdb *sql.DB) int {
	t.Helper()
	var n int
	if err := sdb.QueryRowContext(context.Background(), `PRAGMA page_size`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPageSize: Create makes a record with pages of pageSize bytes, and a
// record made with SQLite's default of 4096 (before pageSize) keeps its
// size when opened for writing, and is read and written as before.
func TestPageSize(t *testing.T) {
	ctx := context.Background()
	db, dir := newRun(t)
	if got := pageSizeOf(t, db.sql); got != pageSize {
		t.Fatalf("new record: page size %d, want %d", got, pageSize)
	}
	twoLevels(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// The same record rebuilt with 4096-byte pages, as older cloudinitd
	// made them.
	sdb, err := sql.Open("sqlite", Path(dir, "r1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`PRAGMA journal_mode = DELETE`, `PRAGMA page_size = 4096`, `VACUUM`} {
		if _, err := sdb.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if got := pageSizeOf(t, sdb); got != 4096 {
		t.Fatalf("rebuilt record: page size %d, want 4096", got)
	}
	sdb.Close()

	db, err = Open(ctx, dir, "r1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := pageSizeOf(t, db.sql); got != 4096 {
		t.Errorf("old record opened: page size %d, want 4096 kept", got)
	}
	if err := db.SetState(ctx, "web", StateRunning, ""); err != nil {
		t.Fatal(err)
	}
	s, err := db.Service(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if s.State != StateRunning || len(s.Settings) != 1 || s.Settings[0].Value != "ami-1" {
		t.Errorf("old record after a write: %+v", s)
	}
}

// TestCreateWholeFile: the file Create renames into place holds the whole
// new record by itself (schema, run row; built without a sync per
// transaction, synced once) and is in WAL mode: read from the main file
// alone, as inspect reads a record without a WAL, it has the newest
// schema and the run row; nothing of the temporary name is left.
func TestCreateWholeFile(t *testing.T) {
	ctx := context.Background()
	db, dir := newRun(t)
	file := Path(dir, "r1")
	head := make([]byte, 20)
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadFull(f, head)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if head[18] != 2 || head[19] != 2 {
		t.Errorf("file format bytes %d, %d; want 2, 2 (WAL)", head[18], head[19])
	}
	abs, _ := filepath.Abs(file)
	sdb, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: abs, RawQuery: "mode=ro&immutable=1"}).String())
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	var v int
	var name, secret string
	if err := sdb.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if err := sdb.QueryRowContext(ctx, `SELECT name, secret FROM run WHERE id = 1`).Scan(&name, &secret); err != nil {
		t.Fatalf("run row in the main file: %v", err)
	}
	if v != SchemaVersion() || name != "r1" || secret != db.RunSecret() {
		t.Errorf("main file: version %d, run %q; want %d, r1 with the run's secret", v, name, SchemaVersion())
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".cloudinitd-r1.db.new*"))
	if len(left) != 0 {
		t.Errorf("left of the temporary name: %v", left)
	}
}

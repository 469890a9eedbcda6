package store

import (
	"context"
	"database/sql"
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

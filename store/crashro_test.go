package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyFile copies src to dst if src exists.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if os.IsNotExist(err) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestReadOnlyAfterCrash: a record whose writer was killed (its -wal file
// still holds committed transactions, with or without its -shm index) can
// be read by the read-only commands (history, logs) and shows those
// transactions. A read-only SQLite connection cannot rebuild the WAL
// index ("attempt to write a readonly database").
func TestReadOnlyAfterCrash(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	db, err := Create(ctx, src, "crash", Run{TopConf: "top.conf"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.PutPlan(ctx, []Level{{Number: 1, Key: "level1", ConfFile: "l1.conf"}}, []Service{{Name: "web", Level: 1}}); err != nil {
		t.Fatal(err)
	}
	file := Path(src, "crash")
	// A SIGKILL freezes the files at one instant; copies made one after
	// the other do so only while no checkpoint copies the WAL back.
	db.ckpt.close()
	for _, withShm := range []bool{true, false} {
		dst := t.TempDir()
		// The files as a SIGKILL leaves them: db, -wal (and -shm), no
		// checkpoint.
		copyFile(t, file, Path(dst, "crash"))
		copyFile(t, file+"-wal", Path(dst, "crash")+"-wal")
		if withShm {
			copyFile(t, file+"-shm", Path(dst, "crash")+"-shm")
		}
		if _, err := os.Stat(Path(dst, "crash") + "-wal"); err != nil {
			t.Fatalf("the writer's -wal file: %v", err)
		}
		ro, err := OpenReadOnly(ctx, dst, "crash")
		if err != nil {
			t.Fatalf("shm %v: OpenReadOnly after a crash: %v", withShm, err)
		}
		ss, err := ro.Services(ctx)
		ro.Close()
		if err != nil || len(ss) != 1 {
			t.Errorf("shm %v: services after a crash: %v, %v; want web", withShm, ss, err)
		}
		if _, err := os.Stat(filepath.Join(dst, ".cloudinitd-crash.db.lock")); err == nil {
			t.Errorf("shm %v: a read-only open took the run's lock", withShm)
		}
	}
}

// TestReadOnlyHotJournal: a record left with a hot rollback journal (a
// writer killed in the middle of a transaction in rollback-journal mode,
// as an older cloudinitd's Create left a record until its first open) is
// read by a read-only open after SQLite rolled the journal back, instead
// of failing with "attempt to write a readonly database".
func TestReadOnlyHotJournal(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	db, err := Create(ctx, src, "hot", Run{TopConf: "top.conf"})
	if err != nil {
		t.Fatal(err)
	}
	file := Path(src, "hot")
	db.Close()
	// A writer in rollback-journal mode with a tiny page cache spills
	// changed pages into the database file mid-transaction, after syncing
	// the journal: copied then, the pair is a crashed writer's.
	w, err := sql.Open("sqlite", "file:"+file+"?_pragma=journal_mode(DELETE)&_pragma=cache_size(2)")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.SetMaxOpenConns(1)
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for i := range 2000 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO globals (name, value, rank, source) VALUES (?, ?, 0, '')`,
			fmt.Sprintf("g%d", i), strings.Repeat("x", 200)); err != nil {
			t.Fatal(err)
		}
	}
	dst := t.TempDir()
	copyFile(t, file, Path(dst, "hot"))
	copyFile(t, file+"-journal", Path(dst, "hot")+"-journal")
	if _, err := os.Stat(Path(dst, "hot") + "-journal"); err != nil {
		t.Skipf("no hot journal to copy: %v", err)
	}
	ro, err := OpenReadOnly(ctx, dst, "hot")
	if err != nil {
		t.Fatalf("OpenReadOnly with a hot journal: %v", err)
	}
	defer ro.Close()
	gs, err := ro.Globals(ctx)
	if err != nil || len(gs) != 0 {
		t.Errorf("globals after the rollback: %d rows, %v; want none (the transaction never committed)", len(gs), err)
	}
}

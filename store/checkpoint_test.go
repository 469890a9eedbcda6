package store

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// TestCheckpointerCopiesWAL: the writer's connection does not checkpoint
// (wal_autocheckpoint(0)); the checkpointer copies committed pages into the
// record file while the record stays open, and Close leaves no WAL behind.
func TestCheckpointerCopiesWAL(t *testing.T) {
	ctx := context.Background()
	db, dir := newRun(t)
	if db.ckpt == nil {
		t.Fatal("a writable record has no checkpointer")
	}
	var auto int
	if err := db.sql.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("the writer's wal_autocheckpoint is %d, %v; want 0", auto, err)
	}
	file := Path(dir, "r1")
	before := fileSize(t, file)
	ls := []Level{{Number: 1, Key: "level1", ConfFile: "l1.conf"}}
	var ss []Service
	for i := range 2000 {
		ss = append(ss, Service{Name: fmt.Sprintf("s%04d", i), Level: 1, Settings: []Setting{{Key: "image", Value: "ami-12345678"}}})
	}
	if err := db.PutPlan(ctx, ls, ss); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for fileSize(t, file) <= before {
		if time.Now().After(deadline) {
			t.Fatalf("the record file stayed at %d bytes for 60 s after a commit: nothing checkpointed it", before)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file + "-wal"); !os.IsNotExist(err) {
		t.Errorf("a -wal file after Close: %v", err)
	}
	ro, err := OpenReadOnly(ctx, dir, "r1")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if ro.ckpt != nil {
		t.Error("a read-only record has a checkpointer")
	}
	got, err := ro.Services(ctx)
	if err != nil || len(got) != len(ss) {
		t.Errorf("services after Close: %d, %v; want %d", len(got), err, len(ss))
	}
}

func fileSize(t *testing.T, file string) int64 {
	t.Helper()
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

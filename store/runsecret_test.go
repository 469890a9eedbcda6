package store

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"testing"
)

// isHex reports whether s is n hex digits.
func isHex(s string, n int) bool {
	_, err := hex.DecodeString(s)
	return len(s) == n && err == nil
}

// TestRunSecret: Create makes a secret of 64 hex digits, each record its
// own; reopening (for writing or reading) reads the same one; it is in the
// record file (the only place it is kept) and in no field of Run.
func TestRunSecret(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Create(ctx, dir, "r1", Run{TopConf: "/p/top.conf"})
	if err != nil {
		t.Fatal(err)
	}
	secret := db.RunSecret()
	if !isHex(secret, 64) {
		t.Fatalf("RunSecret of a new record has %d bytes, want 64 hex digits", len(secret))
	}
	r, err := db.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains([]byte(r.Name+r.TopConf+r.ToolVersion+r.Incarnation+string(r.Status)), []byte(secret)) {
		t.Error("the run row carries the secret")
	}
	db.Close()

	other, err := Create(ctx, dir, "r2", Run{})
	if err != nil {
		t.Fatal(err)
	}
	if other.RunSecret() == secret {
		t.Error("two records share one secret")
	}
	other.Close()

	for _, open := range []struct {
		name string
		fn   func(context.Context, string, string) (*DB, error)
	}{{"Open", Open}, {"OpenReadOnly", OpenReadOnly}} {
		db, err := open.fn(ctx, dir, "r1")
		if err != nil {
			t.Fatal(err)
		}
		if db.RunSecret() != secret {
			t.Errorf("%s: the run secret differs from the one made by Create", open.name)
		}
		db.Close()
	}
	b, err := os.ReadFile(Path(dir, "r1"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(secret)) {
		t.Error("the record file does not hold the run secret")
	}
	if fi, err := os.Stat(Path(dir, "r1")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("record mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
}

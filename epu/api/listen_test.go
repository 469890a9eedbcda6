package api

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestListenKeepsAddress: with port 0 a restart listens on the address
// the previous start recorded for the same listen value, when it is free;
// taken, on a new free port, saying which was recorded; another listen
// value, a fixed port or a record that does not parse ignore it. Every
// start records where it listens, 0600.
func TestListenKeepsAddress(t *testing.T) {
	const listen = "127.0.0.1:0"
	for _, tc := range []struct {
		name   string
		listen string
		record func(t *testing.T, dir string) // before the restart
		hold   bool                           // the recorded address is taken
		same   bool                           // the restart gets the recorded address
		prev   bool                           // Listen says the recorded address moved
	}{
		{name: "kept", listen: listen, same: true},
		{name: "taken", listen: listen, hold: true, prev: true},
		{name: "another listen value", listen: "localhost:0"},
		{name: "unparsable record", listen: listen, record: func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, ListenFile), []byte("{"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			first, prev, err := Listen(dir, listen)
			if err != nil {
				t.Fatal(err)
			}
			addr := first.Addr().String()
			first.Close()
			if prev != "" {
				t.Errorf("first start: prev %q, want none", prev)
			}
			if got := recorded(t, dir); got != (listenRecord{Listen: listen, Addr: addr}) {
				t.Errorf("first start recorded %+v, want %s from %s", got, addr, listen)
			}
			if tc.record != nil {
				tc.record(t, dir)
			}
			if tc.hold {
				other, err := net.Listen("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer other.Close()
			}
			ln, prev, err := Listen(dir, tc.listen)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			got := ln.Addr().String()
			if (got == addr) != tc.same {
				t.Errorf("restart listens on %s, the previous start on %s; want the same: %v", got, addr, tc.same)
			}
			wantPrev := ""
			if tc.prev {
				wantPrev = addr
			}
			if prev != wantPrev {
				t.Errorf("restart: prev %q, want %q", prev, wantPrev)
			}
			if diff := cmp.Diff(listenRecord{Listen: tc.listen, Addr: got}, recorded(t, dir)); diff != "" {
				t.Errorf("the restart's record (-want +got):\n%s", diff)
			}
			fi, err := os.Stat(filepath.Join(dir, ListenFile))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s mode %v, want 0600", ListenFile, fi.Mode().Perm())
			}
		})
	}
}

// TestListenFixedPort: a fixed port is listened on as given, whatever was
// recorded; taken, it is an error (the net error, for the hint).
func TestListenFixedPort(t *testing.T) {
	dir := t.TempDir()
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	// A record of another address from port 0 is not tried for a fixed port.
	free, _, err := Listen(dir, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	freeAddr := free.Addr().String()
	free.Close()
	ln, _, err := Listen(dir, held.Addr().String())
	if err == nil {
		ln.Close()
		t.Fatalf("listened on the taken %s (recorded %s)", held.Addr(), freeAddr)
	}
	var op *net.OpError
	if !errors.As(err, &op) {
		t.Errorf("error %v is not the net error", err)
	}
}

func recorded(t *testing.T, dir string) listenRecord {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ListenFile))
	if err != nil {
		t.Fatal(err)
	}
	var rec listenRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return rec
}

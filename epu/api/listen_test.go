package api

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestListenKeepsAddress: with port 0 a restart listens on the address
// the previous start recorded for the same listen value, when it is free;
// taken, or the record unreadable, on a new free port, saying why;
// another listen value ignores the record. Every start records where it
// listens, 0600.
func TestListenKeepsAddress(t *testing.T) {
	const listen = "127.0.0.1:0"
	writeRecord := func(content string) func(*testing.T, string) {
		return func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, ListenFile), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		name   string
		listen string
		record func(t *testing.T, dir string) // before the restart
		hold   bool                           // the recorded address is taken
		same   bool                           // the restart gets the recorded address
		moved  []string                       // in what Listen says of the move; nil: nothing said
	}{
		{name: "kept", listen: listen, same: true},
		{name: "taken", listen: listen, hold: true,
			moved: []string{"the address of the previous start, ", ", is taken: ", "address already in use"}},
		{name: "another listen value", listen: "localhost:0"},
		{name: "unparsable record", listen: listen, record: writeRecord("{"),
			moved: []string{"the address of the previous start is unknown: ", ListenFile + ": unexpected end of JSON input"}},
		{name: "record without an address", listen: listen, record: writeRecord(`{"listen": "127.0.0.1:0"}`),
			moved: []string{"the address of the previous start is unknown: ", ListenFile + ": no address recorded"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			first, moved, err := Listen(dir, listen)
			if err != nil {
				t.Fatal(err)
			}
			addr := first.Addr().String()
			first.Close()
			if moved != "" {
				t.Errorf("first start: moved %q, want nothing said", moved)
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
			ln, moved, err := Listen(dir, tc.listen)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			got := ln.Addr().String()
			if (got == addr) != tc.same {
				t.Errorf("restart listens on %s, the previous start on %s; want the same: %v", got, addr, tc.same)
			}
			if (moved != "") != (tc.moved != nil) {
				t.Errorf("restart: moved %q; want something said: %v", moved, tc.moved != nil)
			}
			for _, w := range tc.moved {
				if !strings.Contains(moved, w) {
					t.Errorf("restart: moved %q lacks %q", moved, w)
				}
			}
			if tc.hold && !strings.Contains(moved, addr) {
				t.Errorf("restart: moved %q does not name the previous address %s", moved, addr)
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

package local

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUsedAddressesFollowRecords(t *testing.T) {
	dir := t.TempDir()
	d := &Driver{stateDir: dir}
	write := func(id, addr, state string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, id), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := writeMeta(filepath.Join(dir, id), meta{ID: id, Addr: addr, State: state}); err != nil {
			t.Fatal(err)
		}
	}
	addrs := func(ss ...string) map[netip.Addr]bool {
		m := map[netip.Addr]bool{}
		for _, s := range ss {
			m[netip.MustParseAddr(s)] = true
		}
		return m
	}
	write("local-a", "127.77.0.1", statePending)
	write("local-b", "127.77.0.2", statePending)
	write("local-c", "127.77.0.3", stateTerminated)
	if diff := cmp.Diff(addrs("127.77.0.1", "127.77.0.2"), mustUsed(t, d)); diff != "" {
		t.Fatalf("first scan (-want +got):\n%s", diff)
	}
	// Records change behind the driver's back (another process): a
	// terminated one frees its address, a new one takes one, a removed one
	// is forgotten.
	write("local-a", "127.77.0.1", stateTerminated)
	write("local-d", "127.77.0.4", statePending)
	if err := os.RemoveAll(filepath.Join(dir, "local-b")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(addrs("127.77.0.4"), mustUsed(t, d)); diff != "" {
		t.Errorf("after the records changed (-want +got):\n%s", diff)
	}
	if _, ok := d.addrs["local-b"]; ok {
		t.Error("the removed record is still remembered")
	}
}

func TestListenersFromNetlinkMatchProc(t *testing.T) {
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skipf("no /proc/net/tcp: %v", err)
	}
	var ln net.Listener
	var err error
	for lo := 250; lo > 200; lo-- { // an address of the range no instance is likely to hold
		ln, err = net.Listen("tcp4", netip.AddrFrom4([4]byte{127, 77, 255, byte(lo)}).String()+":0")
		if err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	own := netip.MustParseAddrPort(ln.Addr().String()).Addr()
	got, err := diagListeners()
	if err != nil {
		t.Skipf("no socket diagnostics here: %v", err)
	}
	if !got[own] {
		t.Errorf("sock_diag misses the listener on %s: %v", own, got)
	}
	// Other programs open and close listeners meanwhile: compare on the
	// one we hold, and the rest only as far as both reads agree it is stable.
	want := procListeners()
	if !want[own] {
		t.Fatalf("/proc/net/tcp misses the listener on %s", own)
	}
	for a := range want {
		if !got[a] && procListeners()[a] {
			if again, err := diagListeners(); err == nil && !again[a] {
				t.Errorf("sock_diag misses %s, which /proc/net/tcp lists", a)
			}
		}
	}
}

// TestDiagListening: the kernel's answer for one address is what a
// connection there finds — a listener while one is open, none once it is
// closed, none on a port nobody listens on.
func TestDiagListening(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.77.255.199:0")
	if err != nil {
		t.Skipf("no loopback address to listen on: %v", err)
	}
	ap := netip.MustParseAddrPort(ln.Addr().String())
	if _, err := diagListening(ap); err != nil {
		ln.Close()
		t.Skipf("no socket diagnostics here: %v", err)
	}
	other := netip.AddrPortFrom(netip.MustParseAddr("127.77.255.198"), ap.Port())
	for _, c := range []struct {
		name string
		ap   netip.AddrPort
		want bool
	}{
		{"listening", ap, true},
		{"another address, same port", other, false},
		{"another port", netip.AddrPortFrom(ap.Addr(), ap.Port()+1), false},
	} {
		if got, err := diagListening(c.ap); err != nil || got != c.want {
			t.Errorf("%s: diagListening(%s) = %v, %v; want %v", c.name, c.ap, got, err, c.want)
		}
	}
	ln.Close()
	if got, err := diagListening(ap); err != nil || got {
		t.Errorf("closed: diagListening(%s) = %v, %v; want false", ap, got, err)
	}
}

// TestUsedAddressesAfterOwnLaunch: the driver's own records count without
// a scan, and a record another process made meanwhile is seen.
func TestUsedAddressesAfterOwnLaunch(t *testing.T) {
	dir := t.TempDir()
	d := &Driver{stateDir: dir}
	if got := mustUsed(t, d); len(got) != 0 {
		t.Fatalf("empty state dir: %v", got)
	}
	own := func(addr string) {
		t.Helper()
		id, idir, err := d.newInstanceDir() // as reserve does
		if err != nil {
			t.Fatal(err)
		}
		if err := writeMeta(idir, meta{ID: id, Addr: addr, State: statePending}); err != nil {
			t.Fatal(err)
		}
		d.recordedAddress(id, netip.MustParseAddr(addr))
	}
	own("127.77.0.1") // our own launch: no scan needed after it
	want := map[netip.Addr]bool{netip.MustParseAddr("127.77.0.1"): true}
	if diff := cmp.Diff(want, mustUsed(t, d)); diff != "" {
		t.Fatalf("after our own launch (-want +got):\n%s", diff)
	}
	// Another process launches.
	other := filepath.Join(dir, "local-other")
	if err := os.Mkdir(other, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := writeMeta(other, meta{ID: "local-other", Addr: "127.77.0.2", State: statePending}); err != nil {
		t.Fatal(err)
	}
	want[netip.MustParseAddr("127.77.0.2")] = true
	if diff := cmp.Diff(want, mustUsed(t, d)); diff != "" {
		t.Errorf("after another process's launch (-want +got):\n%s", diff)
	}
	own("127.77.0.3") // and ours again
	want[netip.MustParseAddr("127.77.0.3")] = true
	if diff := cmp.Diff(want, mustUsed(t, d)); diff != "" {
		t.Errorf("after our second launch (-want +got):\n%s", diff)
	}
}

// mustUsed is d.usedAddresses, failing the test on an error.
func mustUsed(t *testing.T, d *Driver) map[netip.Addr]bool {
	t.Helper()
	used, err := d.usedAddresses()
	if err != nil {
		t.Fatal(err)
	}
	return used
}

// TestBindAddressUnreadableState: a state directory whose records cannot
// be listed fails the bind (was: no address counted as used, and one a
// live instance held could be given again).
func TestBindAddressUnreadableState(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "state")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	d := &Driver{stateDir: notDir}
	ln, err := d.bindAddress()
	if err == nil {
		ln.Close()
		t.Fatal("bound an address without reading the state directory")
	}
	if !errors.Is(err, syscall.ENOTDIR) || !strings.Contains(err.Error(), "the addresses the instances hold") {
		t.Errorf("err = %v, want the state directory's read error", err)
	}
}

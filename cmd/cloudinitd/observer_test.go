package main

import (
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
)

// TestObserverChoice: on a terminal the live view by default; the line
// stream with -v, with TERM=dumb, and off a terminal.
func TestObserverChoice(t *testing.T) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer m.Close()
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err == nil {
		err = unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0)
	}
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer tty.Close()
	go func() { // drain what the views draw
		b := make([]byte, 4096)
		for {
			if _, err := m.Read(b); err != nil {
				return
			}
		}
	}()
	notTTY, err := os.Create(t.TempDir() + "/stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer notTTY.Close()
	for _, tc := range []struct {
		term      string
		verbosity int
		err       *os.File
		want      string
	}{
		{"xterm", 1, tty, "*cli.LiveObserver"},
		{"xterm", 2, tty, "*cli.LineObserver"},
		{"dumb", 1, tty, "*cli.LineObserver"},
		{"xterm", 1, notTTY, "*cli.LineObserver"},
	} {
		env := cl.Env{Streams: cl.IOStreams{Err: tc.err}, Transcript: &cl.Transcript{},
			LookupEnv: func(k string) (string, bool) { return tc.term, k == "TERM" }}
		obs := observer(options{Verbosity: tc.verbosity}, env)
		s, ok := obs.(stopping)
		if !ok {
			t.Fatalf("TERM=%s verbosity %d: %T has no Stop", tc.term, tc.verbosity, obs)
		}
		if got := fmt.Sprintf("%T", s.Observer); got != tc.want {
			t.Errorf("TERM=%s verbosity %d: %s, want %s", tc.term, tc.verbosity, got, tc.want)
		}
		s.Stop()
	}
}

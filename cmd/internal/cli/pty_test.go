package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// openPty opens a pseudo-terminal and returns its terminal side, or skips
// the test where there is none.
func openPty(t *testing.T) *os.File {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func lookup(kv map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
}

// TestTerminalConventions: a live view only where the terminal moves its
// cursor (not TERM=dumb, not without TERM); colour there unless NO_COLOR
// is set to something.
func TestTerminalConventions(t *testing.T) {
	tty := openPty(t)
	for _, tc := range []struct {
		env          map[string]string
		live, colour bool
	}{
		{map[string]string{"TERM": "xterm-256color"}, true, true},
		{map[string]string{"TERM": "xterm", "NO_COLOR": "1"}, true, false},
		{map[string]string{"TERM": "xterm", "NO_COLOR": ""}, true, true},
		{map[string]string{"TERM": "dumb"}, false, false},
		{map[string]string{}, false, false},
	} {
		if got := LiveCapable(MaskWriter(tty, nil), lookup(tc.env)); got != tc.live {
			t.Errorf("%v: LiveCapable = %v, want %v", tc.env, got, tc.live)
		}
		if got := Colour(tty, lookup(tc.env)); got != tc.colour {
			t.Errorf("%v: Colour = %v, want %v", tc.env, got, tc.colour)
		}
	}
	if cols, rows := termSize(tty); cols < 0 || rows < 0 {
		t.Errorf("termSize = %d, %d", cols, rows)
	}
}

// TestIsTerminal: a terminal is found under the writers that wrap it
// (MaskWriter's Unwrap); a buffer or a regular file is none.
func TestIsTerminal(t *testing.T) {
	tty := openPty(t)
	file, err := os.Create(t.TempDir() + "/out")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for _, tc := range []struct {
		name string
		w    io.Writer
		want bool
	}{
		{"terminal", tty, true},
		{"terminal under a mask", MaskWriter(MaskWriter(tty, nil), nil), true},
		{"buffer", &bytes.Buffer{}, false},
		{"regular file", file, false},
		{"file under a mask", MaskWriter(file, nil), false},
	} {
		if got := IsTerminal(tc.w); got != tc.want {
			t.Errorf("%s: IsTerminal = %v, want %v", tc.name, got, tc.want)
		}
	}
}

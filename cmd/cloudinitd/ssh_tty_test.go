package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/remote/remotetest"
)

// openPTY returns the two sides of a new pseudo-terminal, or skips.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err == nil {
		err = unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0)
	}
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// TestRunOnTerminal: 'cloudinitd ssh' without a command gives the shell a
// terminal of the host (OpenSSH's sshd) with the local size and TERM,
// with the local terminal raw meanwhile and as it was afterwards; a host
// without terminals (the local driver's server) answers ErrNoTTY, on which
// runSSH falls back to line mode.
func TestRunOnTerminal(t *testing.T) {
	_, tty := openPTY(t)
	fd := int(tty.Fd())
	if err := unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, &unix.Winsize{Row: 19, Col: 77}); err != nil {
		t.Fatal(err)
	}
	before, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := terminalFD(tty); !ok || got != fd {
		t.Fatalf("terminalFD(pty) = %d, %v", got, ok)
	}
	if _, ok := terminalFD(strings.NewReader("")); ok {
		t.Fatal("terminalFD(a reader) reports a terminal")
	}

	signer, keyPath := remotetest.NewKey(t)
	d := remotetest.StartSSHD(t, signer.PublicKey())
	pool := remote.NewPool(remote.SSHOptions{HandshakeTimeout: 10 * time.Second})
	defer pool.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ex, err := pool.Get(ctx, remote.Target{Host: d.Host, Port: d.Port, KeyPath: keyPath, HostKey: d.HostKey})
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	env := cl.Env{LookupEnv: func(k string) (string, bool) { return "vt100", k == "TERM" }}
	var out bytes.Buffer
	probe := `tty; stty size; echo "TERM=$TERM"`
	_, err = runOnTerminal(ctx, ex, remote.Cmd{Argv: []string{"/bin/sh", "-c", probe}, Stdout: &out}, fd, env)
	if err != nil {
		t.Fatalf("runOnTerminal: %v\n%s", err, out.String())
	}
	for _, want := range []string{"/dev/pts/", "19 77", "TERM=vt100"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the remote terminal's report %q lacks %q", out.String(), want)
		}
	}
	after, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if after.Lflag != before.Lflag || after.Iflag != before.Iflag || after.Oflag != before.Oflag {
		t.Errorf("the local terminal was not restored: lflag %#x -> %#x", before.Lflag, after.Lflag)
	}

	srv := remotetest.NewServer(t, signer.PublicKey())
	noTTY, err := pool.Get(ctx, remote.Target{Host: srv.Host(), Port: srv.Port(), KeyPath: keyPath, HostKey: srv.HostKey.PublicKey()})
	if err != nil {
		t.Fatal(err)
	}
	defer noTTY.Close()
	if _, err := runOnTerminal(ctx, noTTY, remote.Cmd{Argv: []string{"true"}}, fd, env); !errors.Is(err, remote.ErrNoTTY) {
		t.Errorf("a host without terminals: %v, want ErrNoTTY", err)
	}
}

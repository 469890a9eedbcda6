package remote_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/remote/remotetest"
)

// TestTTY: a Cmd with a TTY runs on a pseudo-terminal of OpenSSH's sshd
// (tty names it, stty reports the size asked for, the exit status comes
// back); a host without terminals (the in-process server, like the local
// driver's) and local execution fail with ErrNoTTY.
func TestTTY(t *testing.T) {
	signer, keyPath := remotetest.NewKey(t)
	d := remotetest.StartSSHD(t, signer.PublicKey())
	pool := newPool(nil, nil)
	defer pool.Close()
	ex, err := pool.Get(testCtx(t), remote.Target{Host: d.Host, Port: d.Port, KeyPath: keyPath, HostKey: d.HostKey})
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	var out bytes.Buffer
	_, err = ex.Run(testCtx(t), remote.Cmd{Argv: []string{"/bin/sh", "-c", "tty; stty size; exit 3"},
		Stdout: &out, TTY: &remote.TTY{Term: "vt100", Width: 91, Height: 17}})
	var xe *remote.ExitError
	if !errors.As(err, &xe) || xe.Status != 3 {
		t.Fatalf("exit: %v, want status 3", err)
	}
	if got := out.String(); !strings.Contains(got, "/dev/pts/") || !strings.Contains(got, "17 91") {
		t.Errorf("output on the terminal = %q, want a /dev/pts name and the size 17 91", got)
	}

	srv := remotetest.NewServer(t, signer.PublicKey())
	noTTY, err := pool.Get(testCtx(t), remote.Target{Host: srv.Host(), Port: srv.Port(), KeyPath: keyPath, HostKey: srv.HostKey.PublicKey()})
	if err != nil {
		t.Fatal(err)
	}
	defer noTTY.Close()
	if _, err := noTTY.Run(testCtx(t), remote.Cmd{Argv: []string{"true"}, TTY: &remote.TTY{}}); !errors.Is(err, remote.ErrNoTTY) {
		t.Errorf("a server without terminals: %v, want ErrNoTTY", err)
	}
	if _, err := (&remote.Local{}).Run(testCtx(t), remote.Cmd{Argv: []string{"true"}, TTY: &remote.TTY{}}); !errors.Is(err, remote.ErrNoTTY) {
		t.Errorf("local execution: %v, want ErrNoTTY", err)
	}
}

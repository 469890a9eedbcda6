package bootlevel

import (
	"context"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/cloudinitd/cloudinitd/remote/remotetest"
)

// sshdFarm starts OpenSSH servers on given addresses, all on one port,
// each with its own host key, accepting one client key for the current
// user. It is the "cloud side" of a test whose fake cloud hands out
// loopback addresses. Every sshd is killed at the test's cleanup.
type sshdFarm struct {
	t      *testing.T
	port   int
	client ssh.PublicKey
}

// sshdCtx is the budget of a test whose instances are real sshds: five
// minutes, or less when go test's -timeout comes sooner, leaving that
// timeout's last 30 s for the test's cleanup. testCtx's 60 s is too short
// for them on a loaded machine: every session is an OpenSSH connection
// (sshd forks and re-executes itself, the login shell reads its rc files)
// in processes the load starves, and TestBootOnEC2 took 54-71 s, failing
// at 60 s in 13 of 14 runs, with ten copies at load 13 on two cores.
func sshdCtx(t *testing.T) context.Context {
	budget := 5 * time.Minute
	if d, ok := t.Deadline(); ok {
		budget = min(budget, time.Until(d)-30*time.Second)
	}
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	t.Cleanup(cancel)
	return ctx
}

// newSSHDFarm skips the test when sshd is not installed.
func newSSHDFarm(t *testing.T, client ssh.PublicKey) *sshdFarm {
	t.Helper()
	if _, err := os.Stat(remotetest.SSHDPath); err != nil {
		t.Skipf("OpenSSH server not installed (%s missing; apt-get install openssh-server): the EC2 boot needs a real sshd on each instance address", remotetest.SSHDPath)
	}
	if os.Geteuid() == 0 {
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil { // sshd's privilege separation directory
			t.Skipf("cannot create /run/sshd for sshd: %v", err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a port that was free a moment ago
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	return &sshdFarm{t: t, port: port, client: client}
}

// start runs sshd on host at the farm's port and waits until it greets.
func (f *sshdFarm) start(host string) error {
	_, err := remotetest.StartSSHDAt(f.t, host, f.port, f.client)
	return err
}

// serveInstances starts an sshd on the private address of every instance
// addrs reports, as soon as it appears, until ctx ends; errors go to
// t.Errorf. The returned function stops the watcher and waits for it.
func (f *sshdFarm) serveInstances(ctx context.Context, t *testing.T, addrs func() []string) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		started := map[string]bool{}
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			for _, a := range addrs() {
				if a == "" || started[a] {
					continue
				}
				started[a] = true
				if err := f.start(a); err != nil {
					t.Errorf("start sshd for an instance: %v", err)
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}

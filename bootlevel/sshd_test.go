package bootlevel

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/cloudinitd/cloudinitd/remote/remotetest"
)

// sshdFarm starts OpenSSH servers (remotetest.SSHDPath) on given addresses,
// all on one port, each with its own host key, accepting one client key
// for the current user. It is the "cloud side" of a test whose fake cloud
// hands out loopback addresses. Close kills every sshd it started and
// waits for them.
type sshdFarm struct {
	dir  string
	port int
	auth string // authorized_keys path

	mu    sync.Mutex
	procs []*exec.Cmd
	done  []chan struct{}

	logMu sync.Mutex
	log   bytes.Buffer // every sshd's output
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
	f := &sshdFarm{dir: t.TempDir()}
	f.auth = filepath.Join(f.dir, "authorized_keys")
	if err := os.WriteFile(f.auth, ssh.MarshalAuthorizedKey(client), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a port that was free a moment ago
	if err != nil {
		t.Fatal(err)
	}
	f.port = ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	t.Cleanup(func() {
		f.Close()
		if t.Failed() {
			f.logMu.Lock()
			t.Logf("sshd logs:\n%s", f.log.String())
			f.logMu.Unlock()
		}
	})
	return f
}

// start runs sshd on host:port and waits until it greets.
func (f *sshdFarm) start(host string) error {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	block, err := ssh.MarshalPrivateKey(priv, "sshd-"+host)
	if err != nil {
		return err
	}
	hostKey := filepath.Join(f.dir, "host_key_"+host)
	if err := os.WriteFile(hostKey, pem.EncodeToMemory(block), 0o600); err != nil {
		return err
	}
	cfg := filepath.Join(f.dir, "sshd_config_"+host)
	conf := fmt.Sprintf("ListenAddress %s:%d\nHostKey %s\nPidFile none\nStrictModes no\nUsePAM no\nPermitRootLogin yes\n"+
		"PubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nAuthorizedKeysFile %s\n"+
		"Subsystem sftp internal-sftp\nLogLevel VERBOSE\n", host, f.port, hostKey, f.auth)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		return err
	}
	cmd := exec.Command(remotetest.SSHDPath, "-D", "-e", "-f", cfg)
	cmd.Stdout = lockedWriter{&f.logMu, &f.log}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }() // waited for in Close
	f.mu.Lock()
	f.procs, f.done = append(f.procs, cmd), append(f.done, done)
	f.mu.Unlock()
	addr := net.JoinHostPort(host, strconv.Itoa(f.port))
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case <-done:
			return fmt.Errorf("sshd on %s exited (its output is logged when the test fails)", addr)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = c.SetDeadline(time.Now().Add(2 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			_ = c.Close()
			if len(line) > 4 && line[:4] == "SSH-" {
				return nil
			}
		}
	}
	return fmt.Errorf("sshd did not answer on %s", addr)
}

// Close kills every sshd and waits for them.
func (f *sshdFarm) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, c := range f.procs {
		_ = c.Process.Kill()
		<-f.done[i]
	}
	f.procs, f.done = nil, nil
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
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

package remotetest

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// SSHDPath is where Debian's openssh-server installs sshd.
const SSHDPath = "/usr/sbin/sshd"

// SSHD is a running OpenSSH server started by StartSSHD.
type SSHD struct {
	Host    string
	Port    int
	HostKey ssh.PublicKey
	// Log returns what sshd wrote to stderr so far (for failure messages).
	Log func() string
}

// StartSSHD runs OpenSSH's sshd in the foreground (-D -e) on a random
// 127.0.0.x address and a free port, with its own host key and a
// configuration that accepts authorized for the current user (root
// included). It skips the test when sshd is not installed and kills sshd in
// t.Cleanup.
func StartSSHD(t testing.TB, authorized ...ssh.PublicKey) *SSHD {
	t.Helper()
	if _, err := os.Stat(SSHDPath); err != nil {
		t.Skipf("OpenSSH server not installed (%s missing; apt-get install openssh-server)", SSHDPath)
	}
	if os.Geteuid() == 0 {
		// sshd refuses to start as root without its privilege separation
		// directory, which systemd normally creates.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Skipf("cannot create /run/sshd for sshd: %v", err)
		}
	}
	var lastErr error
	for range 5 {
		host, port := freeLoopback(t)
		d, err := StartSSHDAt(t, host, port, authorized...)
		if err == nil {
			return d
		}
		lastErr = err
	}
	t.Fatalf("start sshd: %v", lastErr)
	return nil
}

// StartSSHDAt starts sshd on host:port with a new host key, accepting the
// authorized keys, and waits until it greets; it is killed at cleanup.
// Unlike StartSSHD it returns an error instead of failing the test, so a
// test's helper goroutine may call it (for example to serve each address a
// fake cloud hands out). The caller checks that sshd is installed.
func StartSSHDAt(t testing.TB, host string, port int, authorized ...ssh.PublicKey) (*SSHD, error) {
	dir, err := os.MkdirTemp("", "sshd-")
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "sshd-host")
	if err != nil {
		return nil, err
	}
	hostKeyPath := filepath.Join(dir, "ssh_host_ed25519_key")
	if err := os.WriteFile(hostKeyPath, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	hostPub, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		return nil, err
	}
	var auth bytes.Buffer
	for _, k := range authorized {
		auth.Write(ssh.MarshalAuthorizedKey(k))
	}
	authPath := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authPath, auth.Bytes(), 0o600); err != nil {
		return nil, err
	}
	cfg := fmt.Sprintf(`ListenAddress %s:%d
HostKey %s
PidFile none
StrictModes no
UsePAM no
PermitRootLogin yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile %s
AllowAgentForwarding yes
Subsystem sftp internal-sftp
LogLevel VERBOSE
`, host, port, hostKeyPath, authPath)
	cfgPath := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	d, err := runSSHD(t, cfgPath, host, port)
	if err != nil {
		return nil, err
	}
	d.HostKey = hostPub
	return d, nil
}

// runSSHD starts sshd and waits until it greets on host:port.
func runSSHD(t testing.TB, cfgPath, host string, port int) (*SSHD, error) {
	cmd := exec.Command(SSHDPath, "-D", "-e", "-f", cfgPath)
	log := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	// Generous: a loaded machine starves sshd's start; one that exits is
	// seen at once.
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case <-exited:
			return nil, fmt.Errorf("sshd exited: %s", log.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = c.SetDeadline(time.Now().Add(2 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			_ = c.Close()
			if len(line) > 4 && line[:4] == "SSH-" {
				break
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("sshd did not answer on %s: %s", addr, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("sshd log:\n%s", log.String())
		}
	})
	return &SSHD{Host: host, Port: port, Log: log.String}, nil
}

// freeLoopback picks 127.0.0.x (x random in 2..254) and a port that was
// free a moment ago.
func freeLoopback(t testing.TB) (string, int) {
	n, err := rand.Int(rand.Reader, big.NewInt(253))
	if err != nil {
		t.Fatal(err)
	}
	host := fmt.Sprintf("127.0.0.%d", n.Int64()+2)
	ln, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	return host, port
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

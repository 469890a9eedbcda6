package remote_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/remote/remotetest"
	"golang.org/x/crypto/ssh"
)

// host is one place the conformance tests run: local, the in-process SSH
// server, or OpenSSH's sshd.
type host struct {
	name string
	// open returns an executor; env is the pool's local environment.
	open func(t *testing.T, env map[string]string) remote.Executor
	ssh  bool
}

// hosts returns the three kinds of host. The sshd one skips when sshd is
// not installed.
func hosts() []host {
	return []host{
		{name: "local", open: func(t *testing.T, _ map[string]string) remote.Executor {
			return &remote.Local{Grace: time.Second}
		}},
		{name: "inproc", ssh: true, open: func(t *testing.T, env map[string]string) remote.Executor {
			signer, keyPath := remotetest.NewKey(t)
			srv := remotetest.NewServer(t, signer.PublicKey())
			return openSSH(t, srv.Host(), srv.Port(), keyPath, env)
		}},
		{name: "sshd", ssh: true, open: func(t *testing.T, env map[string]string) remote.Executor {
			signer, keyPath := remotetest.NewKey(t)
			d := remotetest.StartSSHD(t, signer.PublicKey())
			return openSSH(t, d.Host, d.Port, keyPath, env)
		}},
	}
}

// openSSH connects a fresh pool to host:port with the key file.
func openSSH(t *testing.T, h string, port int, keyPath string, env map[string]string) remote.Executor {
	t.Helper()
	pool := newPool(env, nil)
	t.Cleanup(func() { _ = pool.Close() })
	ex, err := pool.Get(testCtx(t), remote.Target{Host: h, Port: port, KeyPath: keyPath})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = ex.Close() })
	return ex
}

func newPool(env map[string]string, hk remote.HostKeys) *remote.Pool {
	return remote.NewPool(remote.SSHOptions{
		HostKeys:         hk,
		Getenv:           func(k string) string { return env[k] },
		Grace:            time.Second,
		RetryMin:         20 * time.Millisecond,
		RetryMax:         200 * time.Millisecond,
		HandshakeTimeout: 10 * time.Second,
	})
}

// eachHost runs f as a subtest against every host kind.
func eachHost(t *testing.T, f func(t *testing.T, h host, ex remote.Executor)) {
	for _, h := range hosts() {
		t.Run(h.name, func(t *testing.T) {
			f(t, h, h.open(t, nil))
		})
	}
}

// testCtx bounds a test's remote calls so a bug fails instead of hanging.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// stage prepares a fresh stage directory under a temporary work dir.
func stage(t *testing.T, ex remote.Executor) string {
	t.Helper()
	wd := filepath.Join(t.TempDir(), "nimbusready")
	s := remote.StageDir(wd, "svc")
	if err := ex.Prepare(testCtx(t), s); err != nil {
		t.Fatal(err)
	}
	return s
}

// script writes a local program file and returns its path.
func script(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// fingerprintsIn reports whether s mentions both fingerprints.
func fingerprintsIn(s string, a, b ssh.PublicKey) bool {
	return strings.Contains(s, ssh.FingerprintSHA256(a)) && strings.Contains(s, ssh.FingerprintSHA256(b))
}

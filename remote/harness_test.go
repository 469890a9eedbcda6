package remote_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/local"
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

// hosts returns the four kinds of host: this machine, the in-process test
// server, the SSH server of an iaas/local instance (the server plans run
// on with iaas: local), and OpenSSH's sshd. The sshd one skips when sshd is
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
		{name: "localdriver", ssh: true, open: func(t *testing.T, env map[string]string) remote.Executor {
			in := launchLocal(t)
			return openSSH(t, in.SSH.Host, in.SSH.Port, in.SSH.PrivateKeyPath, env)
		}},
		{name: "sshd", ssh: true, open: func(t *testing.T, env map[string]string) remote.Executor {
			signer, keyPath := remotetest.NewKey(t)
			d := remotetest.StartSSHD(t, signer.PublicKey())
			return openSSH(t, d.Host, d.Port, keyPath, env)
		}},
	}
}

// launchLocal starts an iaas/local instance (this test binary re-executed,
// see TestMain) and waits until it runs; it is terminated at cleanup.
func launchLocal(t *testing.T) iaas.Instance {
	t.Helper()
	d, err := local.New(local.Config{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	in, err := d.Launch(ctx, iaas.LaunchSpec{Run: iaas.RunID{Name: "remotetest"}, Service: "host", Attempt: 1,
		ClientToken: iaas.ClientToken("remotetest", t.Name(), 1)})
	if err != nil {
		t.Fatalf("launch local instance: %v", err)
	}
	t.Cleanup(func() { _ = d.Terminate(context.Background(), iaas.Ref{ID: in.ID, Handle: in.Handle}) })
	for in.State != iaas.StateRunning {
		got, err := d.Describe(ctx, iaas.Ref{ID: in.ID, Handle: in.Handle})
		if err != nil {
			t.Fatalf("describe local instance: %v", err)
		}
		in = got[0]
		if in.State.Final() || ctx.Err() != nil {
			t.Fatalf("local instance %s: %s (%v)", in.ID, in.State, in.Err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if in.SSH == nil {
		t.Fatalf("local instance %s has no SSH endpoint", in.ID)
	}
	return in
}

// fileHosts are the hosts plus the variants that matter to Prepare, Upload
// and Fetch: the in-process server with sftp, and sshd with the pool's
// DisableSFTP (shell commands although the server has sftp). The inproc
// host has no sftp; sshd and localdriver have it.
func fileHosts() []host {
	return append(hosts(),
		host{name: "inproc-sftp", ssh: true, open: func(t *testing.T, env map[string]string) remote.Executor {
			signer, keyPath := remotetest.NewKey(t)
			srv := remotetest.NewServer(t, signer.PublicKey())
			srv.ServeSFTP()
			return openSSH(t, srv.Host(), srv.Port(), keyPath, env)
		}},
		host{name: "sshd-nosftp", ssh: true, open: func(t *testing.T, env map[string]string) remote.Executor {
			signer, keyPath := remotetest.NewKey(t)
			d := remotetest.StartSSHD(t, signer.PublicKey())
			return openSSHWith(t, newPool(env, nil, func(o *remote.SSHOptions) { o.DisableSFTP = true }),
				d.Host, d.Port, keyPath)
		}})
}

// eachFileHost runs f as a subtest against every fileHosts kind.
func eachFileHost(t *testing.T, f func(t *testing.T, ex remote.Executor)) {
	for _, h := range fileHosts() {
		t.Run(h.name, func(t *testing.T) {
			f(t, h.open(t, nil))
		})
	}
}

// openSSH connects a fresh pool to host:port with the key file.
func openSSH(t *testing.T, h string, port int, keyPath string, env map[string]string) remote.Executor {
	t.Helper()
	return openSSHWith(t, newPool(env, nil), h, port, keyPath)
}

// openSSHWith connects pool to host:port with the key file.
func openSSHWith(t *testing.T, pool *remote.Pool, h string, port int, keyPath string) remote.Executor {
	t.Helper()
	t.Cleanup(func() { _ = pool.Close() })
	ex, err := pool.Get(testCtx(t), remote.Target{Host: h, Port: port, KeyPath: keyPath})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = ex.Close() })
	return ex
}

func newPool(env map[string]string, hk remote.HostKeys, opts ...func(*remote.SSHOptions)) *remote.Pool {
	o := remote.SSHOptions{
		HostKeys:         hk,
		Getenv:           func(k string) string { return env[k] },
		Grace:            time.Second,
		RetryMin:         20 * time.Millisecond,
		RetryMax:         200 * time.Millisecond,
		HandshakeTimeout: 10 * time.Second,
	}
	for _, f := range opts {
		f(&o)
	}
	return remote.NewPool(o)
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

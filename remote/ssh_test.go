package remote_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/remote/remotetest"
	"golang.org/x/crypto/ssh"
)

func TestHostKeyRecordedThenChecked(t *testing.T) {
	signer, keyPath := remotetest.NewKey(t)
	srv := remotetest.NewServer(t, signer.PublicKey())
	hk := &remote.MemoryHostKeys{}
	target := remote.Target{Host: srv.Host(), Port: srv.Port(), KeyPath: keyPath}

	pool := newPool(nil, hk)
	defer pool.Close()
	ex, err := pool.Get(testCtx(t), target)
	if err != nil {
		t.Fatal(err)
	}
	ex.Close()
	id := "[" + srv.Host() + "]:" + itoa(srv.Port())
	got, ok, err := hk.Seen(id)
	if err != nil || !ok || ssh.FingerprintSHA256(got) != ssh.FingerprintSHA256(srv.HostKey.PublicKey()) {
		t.Fatalf("host key of %s not recorded on first contact", id)
	}

	// Another host (a new server, new key) now answers on an address whose
	// recorded key is different.
	other := remotetest.NewServer(t, signer.PublicKey())
	hk.Record("["+other.Host()+"]:"+itoa(other.Port()), srv.HostKey.PublicKey())
	_, err = pool.Get(testCtx(t), remote.Target{Host: other.Host(), Port: other.Port(), KeyPath: keyPath})
	assertMismatch(t, err, srv.HostKey.PublicKey(), other.HostKey.PublicKey())
}

func TestHostKeyFromDriver(t *testing.T) {
	signer, keyPath := remotetest.NewKey(t)
	srv := remotetest.NewServer(t, signer.PublicKey())
	pool := newPool(nil, nil)
	defer pool.Close()
	wrong, _ := remotetest.NewKey(t)
	_, err := pool.Get(testCtx(t), remote.Target{Host: srv.Host(), Port: srv.Port(), KeyPath: keyPath, HostKey: wrong.PublicKey()})
	assertMismatch(t, err, wrong.PublicKey(), srv.HostKey.PublicKey())

	ex, err := pool.Get(testCtx(t), remote.Target{Host: srv.Host(), Port: srv.Port(), KeyPath: keyPath, HostKey: srv.HostKey.PublicKey()})
	if err != nil {
		t.Fatalf("announced key: %v", err)
	}
	ex.Close()
}

func TestHostKeyMismatchSSHD(t *testing.T) {
	signer, keyPath := remotetest.NewKey(t)
	d := remotetest.StartSSHD(t, signer.PublicKey())
	wrong, _ := remotetest.NewKey(t)
	pool := newPool(nil, nil)
	defer pool.Close()
	_, err := pool.Get(testCtx(t), remote.Target{Host: d.Host, Port: d.Port, KeyPath: keyPath, HostKey: wrong.PublicKey()})
	assertMismatch(t, err, wrong.PublicKey(), d.HostKey)
}

func assertMismatch(t *testing.T, err error, want, got ssh.PublicKey) {
	t.Helper()
	var he *remote.HostKeyError
	if !errors.Is(err, remote.ErrHostKeyMismatch) || !errors.As(err, &he) || !remote.IsPermanent(err) {
		t.Fatalf("err = %v, want a permanent host key mismatch", err)
	}
	if !fingerprintsIn(err.Error(), want, got) {
		t.Errorf("message %q lacks the fingerprints %s and %s", err, ssh.FingerprintSHA256(want), ssh.FingerprintSHA256(got))
	}
	if he.Want != ssh.FingerprintSHA256(want) || he.Got != ssh.FingerprintSHA256(got) {
		t.Errorf("HostKeyError = %+v", he)
	}
}

func TestAuthFailureIsPermanent(t *testing.T) {
	signer, _ := remotetest.NewKey(t)
	_, otherPath := remotetest.NewKey(t)
	for _, mk := range []func(t *testing.T) (string, int){
		func(t *testing.T) (string, int) {
			s := remotetest.NewServer(t, signer.PublicKey())
			return s.Host(), s.Port()
		},
		func(t *testing.T) (string, int) {
			d := remotetest.StartSSHD(t, signer.PublicKey())
			return d.Host, d.Port
		},
	} {
		h, port := mk(t)
		pool := newPool(nil, nil)
		// A long deadline: a permanent failure must not be retried until it.
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		_, err := pool.Get(ctx, remote.Target{Host: h, Port: port, KeyPath: otherPath})
		cancel()
		pool.Close()
		if !errors.Is(err, remote.ErrAuth) || !remote.IsPermanent(err) || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s:%d: err = %v, want permanent ErrAuth", h, port, err)
		}
	}
}

func TestConnectionReuse(t *testing.T) {
	signer, keyPath := remotetest.NewKey(t)
	srv := remotetest.NewServer(t, signer.PublicKey())
	pool := newPool(nil, nil)
	defer pool.Close()
	target := remote.Target{Host: srv.Host(), Port: srv.Port(), KeyPath: keyPath, User: "svc"}
	a, err := pool.Get(testCtx(t), target)
	if err != nil {
		t.Fatal(err)
	}
	b, err := pool.Get(testCtx(t), target)
	if err != nil {
		t.Fatal(err)
	}
	s := stage(t, a)
	for _, ex := range []remote.Executor{a, b, a} {
		if _, err := ex.Run(testCtx(t), remote.Cmd{Argv: []string{"true"}}); err != nil {
			t.Fatal(err)
		}
		if err := ex.Upload(testCtx(t), s+"/f", strings.NewReader("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.Conns(); n != 1 {
		t.Errorf("connections = %d, want 1 shared by both executors", n)
	}
	if a.Host() != "svc@"+srv.Addr() {
		t.Errorf("Host() = %q", a.Host())
	}
	a.Close()
	if _, err := b.Run(testCtx(t), remote.Cmd{Argv: []string{"true"}}); err != nil {
		t.Fatalf("second executor after first closed: %v", err)
	}
	b.Close()
	if _, err := b.Run(testCtx(t), remote.Cmd{Argv: []string{"true"}}); err == nil {
		t.Error("run on a closed executor succeeded")
	}
	c, err := pool.Get(testCtx(t), target)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if n := srv.Conns(); n != 2 {
		t.Errorf("connections = %d, want 2 (a new one after the last executor closed)", n)
	}
}

func TestDialRetriesUntilReachable(t *testing.T) {
	signer, keyPath := remotetest.NewKey(t)
	srv := remotetest.NewServer(t, signer.PublicKey())
	var attempts atomic.Int32
	pool := remote.NewPool(remote.SSHOptions{
		RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond,
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if attempts.Add(1) <= 3 {
				return nil, errors.New("fake dial: connection refused")
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	})
	defer pool.Close()
	ex, err := pool.Get(testCtx(t), remote.Target{Host: srv.Host(), Port: srv.Port(), KeyPath: keyPath})
	if err != nil {
		t.Fatal(err)
	}
	ex.Close()
	if n := attempts.Load(); n != 4 {
		t.Errorf("dial attempts = %d, want 4", n)
	}

	// Without a deadline the attempts are bounded.
	attempts.Store(-100)
	_, err = pool.Get(context.Background(), remote.Target{Host: srv.Host(), Port: srv.Port(), KeyPath: keyPath})
	if err == nil || attempts.Load() != -95 {
		t.Errorf("err = %v after %d attempts, want failure after 5", err, attempts.Load()+100)
	}
}

func TestAgentForwarding(t *testing.T) {
	for _, h := range hosts() {
		if !h.ssh {
			continue
		}
		t.Run(h.name, func(t *testing.T) {
			key := remotetest.NewEd25519(t)
			sock := remotetest.StartAgent(t, key)
			pub, err := ssh.NewPublicKey(key.Public())
			if err != nil {
				t.Fatal(err)
			}
			ex := h.open(t, map[string]string{"SSH_AUTH_SOCK": sock})
			res, err := ex.Run(testCtx(t), remote.Cmd{Argv: []string{"ssh-add", "-l"}, ForwardAgent: true})
			if err != nil {
				t.Fatalf("ssh-add -l with forwarding: %v %q", err, res.Tail)
			}
			if !strings.Contains(strings.Join(res.Tail, "\n"), ssh.FingerprintSHA256(pub)) {
				t.Errorf("forwarded agent does not list the key: %q", res.Tail)
			}
			// Again on the same connection (the handler is installed once).
			if _, err := ex.Run(testCtx(t), remote.Cmd{Argv: []string{"ssh-add", "-l"}, ForwardAgent: true}); err != nil {
				t.Errorf("second forwarded run: %v", err)
			}
			res, err = ex.Run(testCtx(t), remote.Cmd{Argv: []string{"/bin/sh", "-c", `echo "sock=$SSH_AUTH_SOCK"`}})
			if err != nil || res.Tail[0] != "sock=" {
				t.Errorf("without ForwardAgent: %q %v, want no SSH_AUTH_SOCK", res.Tail, err)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestRedialAfterConnectionLoss(t *testing.T) {
	signer, keyPath := remotetest.NewKey(t)
	srv := remotetest.NewServer(t, signer.PublicKey())
	ex := openSSH(t, srv.Host(), srv.Port(), keyPath, nil)
	if _, err := ex.Run(testCtx(t), remote.Cmd{Argv: []string{"true"}}); err != nil {
		t.Fatal(err)
	}
	srv.DropConns()
	// The first run after the loss may fail while the client notices; a
	// later one must succeed on a new connection.
	var err error
	for range 50 {
		if _, err = ex.Run(testCtx(t), remote.Cmd{Argv: []string{"true"}}); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("run after connection loss: %v", err)
	}
	if n := srv.Conns(); n != 2 {
		t.Errorf("connections = %d, want 2", n)
	}
}

// TestHostKeyTypeOfKnownKey: a host with several host keys is asked for
// the type of the key announced or recorded for it, so it is not taken
// for a mismatch; a host without a key of that type is a mismatch
// (permanent), not a handshake failure to retry.
func TestHostKeyTypeOfKnownKey(t *testing.T) {
	signer, keyPath := remotetest.NewKey(t)
	srv := remotetest.NewServer(t, signer.PublicKey()) // an Ed25519 host key
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ssh.NewSignerFromKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	srv.AddHostKey(ec)
	target := remote.Target{Host: srv.Host(), Port: srv.Port(), KeyPath: keyPath}
	for _, k := range []ssh.PublicKey{ec.PublicKey(), srv.HostKey.PublicKey()} {
		announced := target
		announced.HostKey = k
		hk := &remote.MemoryHostKeys{}
		hk.Record("["+srv.Host()+"]:"+itoa(srv.Port()), k)
		for _, tc := range []struct {
			name string
			t    remote.Target
			hk   remote.HostKeys
		}{{"announced", announced, nil}, {"recorded", target, hk}} {
			pool := newPool(nil, tc.hk)
			ex, err := pool.Get(testCtx(t), tc.t)
			if err != nil {
				t.Errorf("%s %s key: %v", tc.name, k.Type(), err)
			} else {
				ex.Close()
			}
			pool.Close()
		}
	}

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaPub, err := ssh.NewPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := newPool(nil, nil)
	defer pool.Close()
	announced := target
	announced.HostKey = rsaPub
	_, err = pool.Get(testCtx(t), announced) // a permanent failure does not wait for the deadline
	if !errors.Is(err, remote.ErrHostKeyMismatch) || !remote.IsPermanent(err) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("host without an RSA key: err = %v, want permanent ErrHostKeyMismatch", err)
	}
}

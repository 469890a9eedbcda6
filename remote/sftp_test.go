package remote_test

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"path"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/remote/remotetest"
	"github.com/google/go-cmp/cmp"
)

// sessions counts what a server was asked for.
type sessions struct{ Conns, Execs, SFTP int }

func countSessions(srv *remotetest.Server) sessions {
	return sessions{Conns: srv.Conns(), Execs: srv.Execs(), SFTP: srv.SFTPSessions()}
}

// TestFilesOverOneSFTPSession: Upload and Fetch of a service share one
// SFTP session on the pooled connection, and Prepare runs in the
// connection's one persistent shell (it checks owners, which SFTP cannot);
// without sftp on the server (or with DisableSFTP) each is a shell
// command, with the same results.
func TestFilesOverOneSFTPSession(t *testing.T) {
	for _, tc := range []struct {
		name        string
		serveSFTP   bool
		disableSFTP bool
		want        sessions
	}{
		{name: "sftp", serveSFTP: true, want: sessions{Conns: 1, Execs: 1, SFTP: 1}},
		// Shell commands: 2 prepares and the second command of each
		// upload run in the persistent shell (1 session); each upload's
		// `cat` (it has stdin) and each fetch (raw output) take their own.
		{name: "no sftp subsystem", want: sessions{Conns: 1, Execs: 6}},
		{name: "sftp disabled", serveSFTP: true, disableSFTP: true, want: sessions{Conns: 1, Execs: 6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			signer, keyPath := remotetest.NewKey(t)
			srv := remotetest.NewServer(t, signer.PublicKey())
			if tc.serveSFTP {
				srv.ServeSFTP()
			}
			pool := remote.NewPool(remote.SSHOptions{Getenv: func(string) string { return "" }, DisableSFTP: tc.disableSFTP})
			defer pool.Close()
			ctx := testCtx(t)
			ex, err := pool.Get(ctx, remote.Target{Host: srv.Host(), Port: srv.Port(), KeyPath: keyPath})
			if err != nil {
				t.Fatal(err)
			}
			defer ex.Close()
			s := remote.StageDir(path.Join(t.TempDir(), "work"), "svc")
			for range 2 { // boot, then ready
				if err := ex.Prepare(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			files := map[string]string{"boot.sh": "#!/bin/sh\necho hi\n", "bootconf.json": `{"k": "v"}`}
			for name, data := range files {
				if err := ex.Upload(ctx, path.Join(s, name), strings.NewReader(data), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got := map[string]string{}
			for name := range files {
				b, err := ex.Fetch(ctx, path.Join(s, name))
				if err != nil {
					t.Fatal(err)
				}
				got[name] = string(b)
			}
			if diff := cmp.Diff(files, got); diff != "" {
				t.Errorf("fetched (-want +got):\n%s", diff)
			}
			if _, err := ex.Fetch(ctx, path.Join(s, "bootout.json")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("fetch missing: err = %v, want fs.ErrNotExist", err)
			}
			if diff := cmp.Diff(tc.want, countSessions(srv)); diff != "" {
				t.Errorf("sessions (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSFTPReopenedAfterConnectionLoss: the SFTP session belongs to one
// connection; after the host drops it, the redialled connection opens a
// new one.
func TestSFTPReopenedAfterConnectionLoss(t *testing.T) {
	signer, keyPath := remotetest.NewKey(t)
	srv := remotetest.NewServer(t, signer.PublicKey())
	srv.ServeSFTP()
	pool := newPool(nil, nil)
	defer pool.Close()
	ctx := testCtx(t)
	ex, err := pool.Get(ctx, remote.Target{Host: srv.Host(), Port: srv.Port(), KeyPath: keyPath})
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	s := remote.StageDir(path.Join(t.TempDir(), "work"), "svc")
	if err := ex.Prepare(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := ex.Upload(ctx, path.Join(s, "g"), strings.NewReader("y"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv.DropConns()
	// The first call after the drop may see the dead session; a retry,
	// as a step's caller would make, must succeed on a new connection.
	var up error
	for range 50 {
		if up = ex.Upload(ctx, path.Join(s, "f"), strings.NewReader("x"), 0o644); up == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if up != nil {
		t.Fatalf("upload after connection loss: %v", up)
	}
	if b, err := ex.Fetch(ctx, path.Join(s, "f")); err != nil || string(b) != "x" {
		t.Fatalf("fetch = %q, %v", b, err)
	}
	if diff := cmp.Diff(sessions{Conns: 2, Execs: 1, SFTP: 2}, countSessions(srv)); diff != "" {
		t.Errorf("sessions (-want +got):\n%s", diff)
	}
}

// TestUploadLeavesNoTemporaries: an upload, over SFTP or a shell, leaves
// only its file in the directory, also when it replaces one.
func TestUploadLeavesNoTemporaries(t *testing.T) {
	eachFileHost(t, func(t *testing.T, ex remote.Executor) {
		s := stage(t, ex)
		ctx := testCtx(t)
		for _, data := range []string{"v1", "v2"} {
			if err := ex.Upload(ctx, path.Join(s, "prog"), strings.NewReader(data), 0o700); err != nil {
				t.Fatal(err)
			}
		}
		res, err := ex.Run(ctx, remote.Cmd{Argv: []string{"ls", "-A", s}})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"prog"}, res.Tail); diff != "" {
			t.Errorf("stage dir (-want +got):\n%s", diff)
		}
	})
}

// TestTryDialsOnce: Pool.Try makes one connection attempt, for callers
// with a retry budget of their own; Get retries.
func TestTryDialsOnce(t *testing.T) {
	var attempts atomic.Int32
	pool := remote.NewPool(remote.SSHOptions{
		RetryMin: 1, RetryMax: 1, DialAttempts: 3,
		Dial: func(context.Context, string, string) (net.Conn, error) {
			attempts.Add(1)
			return nil, errors.New("fake dial: connection refused")
		},
	})
	defer pool.Close()
	_, keyPath := remotetest.NewKey(t)
	target := remote.Target{Host: "127.0.0.1", Port: 1, User: "u", KeyPath: keyPath}
	for _, tc := range []struct {
		name string
		get  func(context.Context, remote.Target) (*remote.SSH, error)
		want int32
	}{
		{"try", pool.Try, 1},
		{"get", pool.Get, 3},
	} {
		attempts.Store(0)
		if _, err := tc.get(context.Background(), target); err == nil {
			t.Fatalf("%s: connected to a refused address", tc.name)
		}
		if n := attempts.Load(); n != tc.want {
			t.Errorf("%s: %d dial attempts, want %d", tc.name, n, tc.want)
		}
	}
}

// stallReader blocks its first Read until ctx ends, then yields a byte.
type stallReader struct{ ctx context.Context }

func (r stallReader) Read(p []byte) (int, error) {
	<-r.ctx.Done()
	p[0] = 'x'
	return 1, nil
}

// TestUploadDeadline: an upload whose context ends while data is still
// coming fails with the deadline and never puts a file at dst; the next
// upload on the same executor works.
func TestUploadDeadline(t *testing.T) {
	eachFileHost(t, func(t *testing.T, ex remote.Executor) {
		s := stage(t, ex)
		dst := path.Join(s, "prog")
		ctx, cancel := context.WithTimeout(testCtx(t), 300*time.Millisecond)
		defer cancel()
		err := ex.Upload(ctx, dst, stallReader{ctx}, 0o755)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want DeadlineExceeded", err)
		}
		if _, err := ex.Fetch(testCtx(t), dst); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("fetch after a cut upload: err = %v, want fs.ErrNotExist", err)
		}
		if err := ex.Upload(testCtx(t), dst, strings.NewReader("v1"), 0o755); err != nil {
			t.Fatalf("upload after a cut one: %v", err)
		}
	})
}

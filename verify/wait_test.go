package verify_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/remote/remotetest"
	"github.com/cloudinitd/cloudinitd/verify"
)

var fast = verify.Backoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond, AttemptTimeout: time.Second}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestWaitPortDelayedListener(t *testing.T) {
	addr := freeAddr(t)
	var wg sync.WaitGroup
	defer wg.Wait()
	listening := make(chan net.Listener, 1)
	attempted := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-attempted // start listening only once the waiter has failed at least once
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Error(err)
			close(listening)
			return
		}
		listening <- ln
	}()
	b := fast
	var once sync.Once
	b.After = func(d time.Duration) <-chan time.Time {
		once.Do(func() { close(attempted) })
		return time.After(d)
	}
	if err := verify.WaitPort(testCtx(t), addr, b); err != nil {
		t.Fatal(err)
	}
	if ln, ok := <-listening; ok {
		ln.Close()
	}
}

func TestWaitPortDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := verify.WaitPort(ctx, freeAddr(t), fast)
	if !errors.Is(err, remote.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want a timeout at the ctx deadline", err)
	}
}

func TestWaitRunning(t *testing.T) {
	states := []string{"pending", "pending", "running"}
	calls := 0
	describe := func(context.Context) (bool, error) {
		s := states[calls]
		calls++
		return s == "running", nil
	}
	if err := verify.WaitRunning(testCtx(t), fast, describe); err != nil || calls != 3 {
		t.Fatalf("err = %v after %d calls, want success after 3", err, calls)
	}

	failed := errors.New(`the current state is failed; never reached state running`)
	calls = 0
	err := verify.WaitRunning(testCtx(t), fast, func(context.Context) (bool, error) {
		calls++
		if calls == 2 {
			return false, verify.Permanent(failed)
		}
		return false, nil
	})
	if !errors.Is(err, failed) || !verify.IsPermanent(err) || calls != 2 {
		t.Errorf("err = %v after %d calls, want the permanent failure at call 2", err, calls)
	}
}

func TestWaitSSHAndRunReady(t *testing.T) {
	signer, keyPath := remotetest.NewKey(t)
	srv := remotetest.NewServer(t, signer.PublicKey())
	pool := remote.NewPool(remote.SSHOptions{Getenv: func(string) string { return "" }})
	defer pool.Close()
	ex, err := pool.Get(testCtx(t), remote.Target{Host: srv.Host(), Port: srv.Port(), KeyPath: keyPath})
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	if err := verify.WaitSSH(testCtx(t), ex, fast); err != nil {
		t.Fatal(err)
	}

	stage := remote.StageDir(filepath.Join(t.TempDir(), "work"), "svc")
	if err := ex.Prepare(testCtx(t), stage); err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(t.TempDir(), "ready.sh")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\necho checking \"$1\"\n[ \"$1\" = up ]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := verify.RunReady(testCtx(t), ex, remote.Program{Path: prog, StageDir: stage, Args: []string{"up"}}); err != nil {
		t.Errorf("ready program: %v", err)
	}
	res, err := verify.RunReady(testCtx(t), ex, remote.Program{Path: prog, StageDir: stage, Args: []string{"down"}})
	var xe *remote.ExitError
	if !errors.Is(err, verify.ErrNotReady) || !errors.As(err, &xe) || xe.Status != 1 {
		t.Errorf("err = %v, want ErrNotReady with exit status 1", err)
	}
	if len(res.Tail) != 1 || res.Tail[0] != "checking down" {
		t.Errorf("tail = %q", res.Tail)
	}
}

func TestWaitSSHStopsOnAuthFailure(t *testing.T) {
	signer, _ := remotetest.NewKey(t)
	_, wrongKey := remotetest.NewKey(t)
	srv := remotetest.NewServer(t, signer.PublicKey())
	// The SSH executor of a host that refuses our key: the connection is
	// (re)made inside Run, so WaitSSH sees the refusal.
	pool := remote.NewPool(remote.SSHOptions{Getenv: func(string) string { return "" }})
	defer pool.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	_, err := pool.Get(ctx, remote.Target{Host: srv.Host(), Port: srv.Port(), KeyPath: wrongKey})
	if !verify.IsPermanent(err) {
		t.Fatalf("err = %v, want permanent", err)
	}
	fake := &failingExecutor{err: err}
	err = verify.WaitSSH(ctx, fake, fast)
	if calls := fake.calls; calls != 1 || !errors.Is(err, remote.ErrAuth) {
		t.Errorf("WaitSSH made %d attempts, err = %v; want 1 attempt ending in ErrAuth", calls, err)
	}
}

// failingExecutor is a fake remote.Executor whose Run always fails with err.
type failingExecutor struct {
	remote.Local
	err   error
	calls int
}

func (f *failingExecutor) Host() string { return "fake" }
func (f *failingExecutor) Run(context.Context, remote.Cmd) (remote.Result, error) {
	f.calls++
	return remote.Result{ExitStatus: -1}, f.err
}

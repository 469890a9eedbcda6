package main

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/store"
)

// TestStopSignals stops a real boot of testdata/killplan in the middle of
// its launches the ways a boot is stopped besides Ctrl-C: SIGTERM (a
// service manager), SIGHUP (the terminal went away) and a closed stdout
// ('boot --json | head -1'). Each stops like the first Ctrl-C: exit 130,
// the boot says it stopped, every instance the cloud has for the run is in
// the record with its id, and terminate leaves none running.
func TestStopSignals(t *testing.T) {
	bin := cliBinary(t)
	plan, err := filepath.Abs("testdata/killplan/top.conf")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	db := filepath.Join(tmp, "db")
	for _, tc := range []struct {
		run string
		sig syscall.Signal // 0: close the reader of stdout
	}{
		{"sigint", syscall.SIGINT},
		{"sigterm", syscall.SIGTERM},
		{"sighup", syscall.SIGHUP},
		{"epipe", 0},
	} {
		t.Run(tc.run, func(t *testing.T) {
			t.Parallel()
			k := killCase{bin: bin, plan: plan, db: db, tmp: tmp, run: tc.run, instances: 1}
			code, stderr := k.bootAndStop(t, tc.sig)
			if code != 130 {
				t.Fatalf("boot stopped by %v: exit %d, want 130\n%s", tc.sig, code, stderr)
			}
			if !strings.Contains(stderr, "cloudinitd: boot of "+tc.run+" stopped; every instance launched is recorded") {
				t.Errorf("boot stopped by %v does not say it stopped:\n%s", tc.sig, stderr)
			}
			recorded := recordedIDs(t, db, tc.run)
			cloud := fakeInstances(t, db, tc.run)
			if len(cloud) == 0 {
				t.Fatalf("the cloud has no instance of %s: the stop came before any launch, nothing was tested", tc.run)
			}
			for _, in := range cloud {
				if !recorded[in.ID] {
					t.Errorf("instance %s of service %q is in the cloud but not in the record (ids %v)", in.ID, in.Service, recorded)
				}
			}
			if code, out := k.cli(t, "terminate", tc.run); code != 0 {
				t.Fatalf("terminate: exit %d\n%s", code, out)
			}
			for _, in := range fakeInstances(t, db, tc.run) {
				if in.State != iaas.StateTerminated {
					t.Errorf("LEAK: instance %s of service %q is %s after terminate", in.ID, in.Service, in.State)
				}
			}
		})
	}
}

// bootAndStop starts `boot --json` with stdout on a pipe, waits until the
// cloud holds an instance of the run (more launches are then under way),
// and sends sig, or with sig 0 closes the pipe's reader. It returns the
// exit code and stderr.
func (k killCase) bootAndStop(t *testing.T, sig syscall.Signal) (int, string) {
	t.Helper()
	errPath := filepath.Join(k.tmp, k.run+".stderr")
	ef, err := os.Create(errPath)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(k.bin, "boot", k.plan, "-n", k.run, "-d", k.db, "--json")
	cmd.Env = k.env()
	cmd.Stdout, cmd.Stderr = pw, ef
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	// Drain stdout, as a reader would, until told to go away.
	stopReading := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			select {
			case <-stopReading:
				return
			default:
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Fatalf("boot ended before the stop: %v", err)
	case <-k.trigger(ctx, t):
	}
	if sig != 0 {
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
	} else {
		close(stopReading)
		<-readerDone
		pr.Close()
	}
	var werr error
	select {
	case werr = <-done:
	case <-ctx.Done():
		cmd.Process.Kill()
		t.Fatalf("boot did not stop within the deadline after %v", sig)
	}
	if sig != 0 {
		close(stopReading)
		pr.Close()
	}
	b, err := os.ReadFile(errPath)
	if err != nil {
		t.Fatal(err)
	}
	var ee *exec.ExitError
	switch {
	case werr == nil:
		return 0, string(b)
	case errors.As(werr, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("boot was killed by %v\n%s", ws.Signal(), b)
		}
		return ee.ExitCode(), string(b)
	}
	t.Fatal(werr)
	return 0, ""
}

// recordedIDs returns the instance ids the run's record holds.
func recordedIDs(t *testing.T, db, run string) map[string]bool {
	t.Helper()
	r, err := store.OpenReadOnly(context.Background(), db, run)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	hs, err := r.InstanceHistory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, h := range hs {
		if h.InstanceID != "" {
			ids[h.InstanceID] = true
		}
	}
	return ids
}

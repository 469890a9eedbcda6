package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/remote"
)

// TestSecondInterrupt: Ctrl-C twice during a boot exits at once with 130,
// saying so, and what it prints still ends with how to resume or take the
// run down; the first Ctrl-C's "stopping gracefully" is there too. The run
// is then taken down from its record.
//
// The boot is of testdata/stubbornplan, whose program ignores SIGTERM, so
// the graceful stop waits for the grace (remote.DefaultGrace) before the
// program's KILL, printing nothing meanwhile: the second Ctrl-C lands in
// that wait, not in a stop that may already be over (a quick stop once
// made the test's outcome depend on how fast it answered). A try whose
// second Ctrl-C was not sent within half the grace (the test starved) says
// nothing either way and is made again, three times at most.
func TestSecondInterrupt(t *testing.T) {
	bin := cliBinary(t)
	plan, err := filepath.Abs("testdata/stubbornplan/top.conf")
	if err != nil {
		t.Fatal(err)
	}
	for try := 1; try <= 3; try++ {
		if secondInterrupt(t, bin, plan, fmt.Sprintf("twice%d", try)) {
			return
		}
		t.Logf("try %d: the second Ctrl-C was not sent within %v of the first; again", try, remote.DefaultGrace/2)
	}
	t.Fatal("no try sent the second Ctrl-C in time")
}

// secondInterrupt is one try of TestSecondInterrupt on run; false: the
// second Ctrl-C was sent too late to tell anything.
func secondInterrupt(t *testing.T, bin, plan, run string) bool {
	tmp := t.TempDir()
	k := killCase{bin: bin, plan: plan, db: filepath.Join(tmp, "db"), tmp: tmp, run: run}
	errPath := filepath.Join(tmp, "stderr")
	ef, err := os.Create(errPath)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	cmd := exec.Command(bin, "boot", plan, "-n", k.run, "-d", k.db)
	cmd.Env = k.env()
	cmd.Stderr = ef
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	ended := false
	defer func() {
		if !ended {
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	// every waits until cond holds, polling; the boot must not end first.
	every := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			select {
			case err := <-done:
				ended = true
				t.Fatalf("boot ended before %s: %v\n%s", what, err, readFile(t, errPath))
			case <-ctx.Done():
				t.Fatalf("no %s within 2 minutes\n%s", what, readFile(t, errPath))
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	// The program started and ignores TERM; it outlives the boot's exit.
	started := filepath.Join(tmp, "stage", k.run, "stubborn", "started")
	var pid int
	every("the boot program started", func() bool {
		b, err := os.ReadFile(started)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil && pid > 0
	})
	t.Cleanup(func() { _ = syscall.Kill(-pid, syscall.SIGKILL) })

	first := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	every("the graceful stop's note", func() bool { return strings.Contains(readFile(t, errPath), "stopping gracefully") })
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatalf("second Ctrl-C, %v after the first (the stop waits %v for the program): %v\n%s",
			time.Since(first), remote.DefaultGrace, err, readFile(t, errPath))
	}
	if time.Since(first) >= remote.DefaultGrace/2 {
		return false
	}
	var werr error
	select {
	case werr = <-done:
		ended = true
	case <-ctx.Done():
		t.Fatal("boot did not exit after the second Ctrl-C")
	}
	var ee *exec.ExitError
	if !errors.As(werr, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130\n%s", werr, readFile(t, errPath))
	}
	stderr := readFile(t, errPath)
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if n := len(lines); n < 3 || !strings.HasSuffix(lines[n-3], "interrupted again: exiting now") ||
		!strings.HasSuffix(lines[n-2], "continue with: cloudinitd boot --resume "+k.run) ||
		!strings.HasSuffix(lines[n-1], "or take it down: cloudinitd terminate "+k.run) {
		t.Errorf("stderr does not end with the second Ctrl-C's note and the resume hints:\n%s", stderr)
	}
	if syscall.Kill(pid, 0) != nil {
		t.Errorf("the boot program (pid %d) is gone: the boot waited for the grace's KILL instead of exiting at once", pid)
	}
	term := exec.Command(bin, "terminate", k.run, "-d", k.db)
	term.Env = k.env()
	if out, err := term.CombinedOutput(); err != nil {
		t.Fatalf("terminate: %v\n%s", err, out)
	}
	for _, in := range fakeInstances(t, k.db, k.run) {
		if !in.State.Final() {
			t.Errorf("instance %s is %v after terminate", in.ID, in.State)
		}
	}
	return true
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

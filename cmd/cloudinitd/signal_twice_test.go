package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSecondInterrupt: Ctrl-C twice during a boot exits at once with 130,
// and what it prints still ends with how to resume or take the run down;
// the first Ctrl-C's "stopping gracefully" is there too. The run is then
// taken down from its record.
func TestSecondInterrupt(t *testing.T) {
	bin := cliBinary(t)
	plan, err := filepath.Abs("testdata/killplan/top.conf")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	k := killCase{bin: bin, plan: plan, db: filepath.Join(tmp, "db"), tmp: tmp, run: "twice", instances: 1}
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
	select {
	case err := <-done:
		t.Fatalf("boot ended before the stop: %v", err)
	case <-k.trigger(ctx, t):
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	// The second once the first was seen: its note is on stderr.
	for !strings.Contains(readFile(t, errPath), "stopping gracefully") {
		select {
		case err := <-done:
			t.Fatalf("boot ended before the second Ctrl-C: %v\n%s", err, readFile(t, errPath))
		case <-ctx.Done():
			t.Fatal("no graceful stop note")
		case <-time.After(5 * time.Millisecond):
		}
	}
	cmd.Process.Signal(syscall.SIGINT) // it may be gone already: the first stop can be quick
	var werr error
	select {
	case werr = <-done:
	case <-ctx.Done():
		cmd.Process.Kill()
		t.Fatal("boot did not exit after the second Ctrl-C")
	}
	var ee *exec.ExitError
	if !errors.As(werr, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130\n%s", werr, readFile(t, errPath))
	}
	stderr := readFile(t, errPath)
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) < 2 || !strings.HasSuffix(lines[len(lines)-2], "continue with: cloudinitd boot --resume twice") ||
		!strings.HasSuffix(lines[len(lines)-1], "or take it down: cloudinitd terminate twice") {
		t.Errorf("stderr does not end with the resume hints:\n%s", stderr)
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
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRunStopSignals stops 'cloudinitd run' with SIGTERM (a cancelled CI
// job) and SIGINT (Ctrl-C) while its command sleeps: the command gets the
// signal, run exits 128+N (143, 130), and nothing of the run is left.
func TestRunStopSignals(t *testing.T) {
	c := newCICase(t)
	for _, tc := range []struct {
		run  string
		sig  syscall.Signal
		code int
	}{
		{"sigterm", syscall.SIGTERM, 143},
		{"sigint", syscall.SIGINT, 130},
	} {
		t.Run(tc.run, func(t *testing.T) {
			started := filepath.Join(c.tmp, tc.run+".started")
			got := filepath.Join(c.tmp, tc.run+".got")
			script := `trap 'echo "$1" > "$2"; exit 9' TERM INT; touch "$3"; sleep 600 & wait`
			cmd, done := c.start(t, tc.run, started, "sh", "-c", script, "sh", tc.run, got, started)
			if live := c.live(t, tc.run); len(live) == 0 {
				t.Fatalf("no live instance of %s while its command runs: nothing would be tested", tc.run)
			}
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			code := c.wait(t, tc.run, cmd, done)
			stderr := c.stderr(t, tc.run)
			if code != tc.code {
				t.Errorf("run stopped by %v: exit %d, want %d\n%s", tc.sig, code, tc.code, stderr)
			}
			if b, err := os.ReadFile(got); err != nil || strings.TrimSpace(string(b)) != tc.run {
				t.Errorf("the command did not get the signal (its trap wrote %q, %v)\n%s", b, err, stderr)
			}
			if !strings.Contains(stderr, "passing "+signalName(tc.sig)+" to the command") {
				t.Errorf("run does not say it passed %v on:\n%s", tc.sig, stderr)
			}
			c.nothingLeft(t, tc.run)
		})
	}
}

// TestRunStoppedDuringBoot sends SIGTERM to 'cloudinitd run' while its
// boot program runs: the command never starts, run exits 143, and nothing
// of the run is left.
func TestRunStoppedDuringBoot(t *testing.T) {
	c := newCICase(t)
	c.plan = strings.TrimSuffix(c.plan, "top.conf") + "slow.conf"
	started := filepath.Join(c.tmp, "boot.started")
	args := []string{"run", c.plan, "-n", "boot", "-d", c.db, "--", "touch", started}
	cmd := exec.Command(c.bin, args...)
	cmd.Env = c.env
	errf, err := os.Create(filepath.Join(c.tmp, "boot.stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()
	cmd.Stderr = errf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// The boot program runs once the service is booting.
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(c.stderr(t, "boot"), "service slow: booting") {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the boot did not reach its boot program\n%s", c.stderr(t, "boot"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(c.live(t, "boot")) == 0 {
		t.Fatal("no live instance while the boot runs: nothing would be tested")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := c.wait(t, "boot", cmd, done); code != 143 {
		t.Errorf("run stopped during its boot: exit %d, want 143\n%s", code, c.stderr(t, "boot"))
	}
	if _, err := os.Stat(started); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the command ran although the boot was stopped (%v)", err)
	}
	c.nothingLeft(t, "boot")
}

// TestRunSecondSignal: a command that ignores SIGTERM gets the grace
// period (20s here), but a second SIGTERM (a CI runner escalating) kills
// it at once; run still tears down, exits 143, and leaves nothing.
func TestRunSecondSignal(t *testing.T) {
	c := newCICase(t)
	started := filepath.Join(c.tmp, "twice.started")
	cmd, done := c.start(t, "twice", started, "sh", "-c", `trap '' TERM; touch "$1"; while :; do sleep 0.1; done`, "sh", started)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(c.stderr(t, "twice"), "passing SIGTERM to the command") {
		if time.Now().After(deadline) {
			t.Fatalf("run did not pass the first SIGTERM on\n%s", c.stderr(t, "twice"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code := c.wait(t, "twice", cmd, done)
	stderr := c.stderr(t, "twice")
	if code != 143 {
		t.Errorf("exit %d, want 143\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "SIGTERM again: killing the command now") {
		t.Errorf("the second SIGTERM did not kill the command at once:\n%s", stderr)
	}
	if strings.Contains(stderr, "did not stop within") {
		t.Errorf("the command was killed by the grace period, not by the second signal:\n%s", stderr)
	}
	c.nothingLeft(t, "twice")
}

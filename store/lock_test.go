package store

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLockTwoHandles(t *testing.T) {
	ctx := context.Background()
	db, dir := newRun(t)

	_, err := Open(ctx, dir, "r1")
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open while the first holds the lock: %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("lock error %q does not name the holder's pid %d", err, os.Getpid())
	}
	if err := Remove(dir, "r1"); !errors.Is(err, ErrLocked) {
		t.Errorf("Remove of a locked run: %v, want ErrLocked", err)
	}
	// Readers do not need the lock.
	ro, err := OpenReadOnly(ctx, dir, "r1")
	if err != nil {
		t.Fatalf("OpenReadOnly beside a writer: %v", err)
	}
	ro.Close()

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(LockPath(dir, "r1")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Close left the lock file: %v", err)
	}
	db2, err := Open(ctx, dir, "r1")
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	db2.Close()
}

// startHolder re-executes the test binary as a second process that opens the
// run and holds its lock until its stdin is closed.
func startHolder(t *testing.T, dir, run string) (*exec.Cmd, func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1", "STORE_HELPER_DIR="+dir, "STORE_HELPER_RUN="+run)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("holder process said %q, %v; stderr: %s", line, err, stderr.String())
	}
	release := func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("holder process: %v; stderr: %s", err, stderr.String())
		}
	}
	return cmd, release
}

func TestLockTwoProcesses(t *testing.T) {
	ctx := context.Background()
	db, dir := newRun(t)
	db.Close()

	cmd, release := startHolder(t, dir, "r1")
	_, err := Open(ctx, dir, "r1")
	if !errors.Is(err, ErrLocked) {
		release()
		t.Fatalf("Open while another process holds the lock: %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), "pid "+strconv.Itoa(cmd.Process.Pid)) || !strings.Contains(err.Error(), "store.test") {
		t.Errorf("lock error %q does not name pid %d and its command", err, cmd.Process.Pid)
	}
	release()

	db, err = Open(ctx, dir, "r1")
	if err != nil {
		t.Fatalf("Open after the other process released: %v", err)
	}
	db.Close()
}

func TestLockHolderKilled(t *testing.T) {
	ctx := context.Background()
	db, dir := newRun(t)
	db.Close()

	cmd, _ := startHolder(t, dir, "r1")
	cmd.Process.Kill() // dies holding the lock: the file stays, the flock goes
	cmd.Wait()
	if _, err := os.Stat(LockPath(dir, "r1")); err != nil {
		t.Fatalf("the killed holder's lock file should remain: %v", err)
	}
	db, err := Open(ctx, dir, "r1")
	if err != nil {
		t.Fatalf("Open after the holder was killed: %v", err)
	}
	db.Close()
}

// deadPID returns the pid of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func writeLockFile(t *testing.T, path string, info LockInfo) {
	t.Helper()
	b, _ := json.Marshal(info)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestStaleLockRecovered(t *testing.T) {
	ctx := context.Background()
	db, dir := newRun(t)
	db.Close()
	host, _ := os.Hostname()
	writeLockFile(t, LockPath(dir, "r1"), LockInfo{PID: deadPID(t), Host: host, Started: time.Now(), Command: "cloudinitd boot"})

	db, err := Open(ctx, dir, "r1")
	if err != nil {
		t.Fatalf("Open over a stale lock: %v", err)
	}
	defer db.Close()
	b, err := os.ReadFile(LockPath(dir, "r1"))
	if err != nil {
		t.Fatal(err)
	}
	var info LockInfo
	if err := json.Unmarshal(b, &info); err != nil || info.PID != os.Getpid() {
		t.Errorf("lock file after recovery = %s (%v), want our pid %d", b, err, os.Getpid())
	}
}

func TestNoFlockFallback(t *testing.T) {
	dir := t.TempDir()
	path := LockPath(dir, "r1")
	host, _ := os.Hostname()

	// A leftover naming a dead process on this host is recovered.
	writeLockFile(t, path, LockInfo{PID: deadPID(t), Host: host})
	l, err := acquireLockNoFlock(path, "test")
	if err != nil {
		t.Fatalf("stale lock: %v", err)
	}
	if _, err := acquireLockNoFlock(path, "test"); !errors.Is(err, ErrLocked) {
		t.Errorf("second acquire: %v, want ErrLocked", err)
	}
	l.release()

	// A leftover naming a live process, or another host, is honoured.
	for _, info := range []LockInfo{{PID: os.Getpid(), Host: host}, {PID: deadPID(t), Host: "elsewhere"}} {
		writeLockFile(t, path, info)
		if _, err := acquireLockNoFlock(path, "test"); !errors.Is(err, ErrLocked) {
			t.Errorf("lock of %+v: %v, want ErrLocked", info, err)
		}
	}
}

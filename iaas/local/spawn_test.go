package local_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/iaastest"
	"github.com/cloudinitd/cloudinitd/iaas/local"
)

// serverPID reads the pid the record holds for inst.
func serverPID(t testing.TB, dir string, inst iaas.Instance) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, inst.ID, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ PID int }
	if err := json.Unmarshal(b, &m); err != nil || m.PID <= 0 {
		t.Fatalf("meta pid: %v %d", err, m.PID)
	}
	return m.PID
}

// exists reports whether pid has an entry in /proc at all: a zombie has
// one, a reaped process has none.
func exists(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}

// The launcher starts the server itself (no intermediate process), so the
// server is its child: once it ends, the driver reaps it, whether
// Terminate ended it or it died and Describe noticed.
func TestEndedServersAreReaped(t *testing.T) {
	dir := t.TempDir()
	d := newDriver(t, dir)
	terminated := waitRunning(t, d, launch(t, d, "reap", "terminated"))
	crashed := waitRunning(t, d, launch(t, d, "reap", "crashed"))
	tpid, cpid := serverPID(t, dir, terminated), serverPID(t, dir, crashed)
	if ppid := parentOf(t, tpid); ppid != os.Getpid() {
		t.Fatalf("server %d has parent %d, want the launcher %d", tpid, ppid, os.Getpid())
	}
	if err := d.Terminate(context.Background(), ref(terminated)); err != nil {
		t.Fatal(err)
	}
	if exists(tpid) {
		t.Errorf("terminated server %d is still in /proc (a zombie nobody reaps)", tpid)
	}
	if err := syscall.Kill(cpid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got, err := iaastest.WaitFor(ctx, d, ref(crashed), 10*time.Millisecond,
		func(i iaas.Instance) bool { return i.State.Final() })
	if err != nil {
		t.Fatal(err)
	}
	if got.State != iaas.StateFailed {
		t.Errorf("crashed server: %s %v, want failed", got.State, got.Err)
	}
	// A killed process is reapable once all its threads have exited,
	// which may be after /proc says it is a zombie: Describe reaps it on
	// one of its next calls.
	for exists(cpid) {
		if ctx.Err() != nil {
			t.Fatalf("crashed server %d is still in /proc after Describe (a zombie nobody reaps)", cpid)
		}
		if _, err := d.Describe(ctx, ref(crashed)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func parentOf(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		t.Fatal(err)
	}
	return ppid
}

// An executable that does not serve instances (it does not call
// MaybeServe) fails the launch at once, permanently, and its record says
// failed.
func TestLaunchOfNonServerIsPermanent(t *testing.T) {
	needProc(t)
	exe := "/bin/true"
	if _, err := os.Stat(exe); err != nil {
		t.Skipf("no %s: %v", exe, err)
	}
	dir := t.TempDir()
	d, err := local.New(local.Config{StateDir: dir, Exe: exe})
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Launch(context.Background(), iaas.LaunchSpec{Run: iaas.RunID{Name: "r"}, Service: "s", ClientToken: "r-s-1"})
	if !errors.Is(err, iaas.ErrPermanent) || iaas.Retryable(err) || !strings.Contains(err.Error(), "MaybeServe") {
		t.Fatalf("Launch: %v, want a permanent error that names MaybeServe", err)
	}
	metas, _ := filepath.Glob(filepath.Join(dir, "local-*", "meta.json"))
	if len(metas) != 1 {
		t.Fatalf("%d instance records, want 1", len(metas))
	}
	b, err := os.ReadFile(metas[0])
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ State string }
	if err := json.Unmarshal(b, &m); err != nil || m.State != "failed" {
		t.Errorf("record after the failed launch: state %q (%v), want failed", m.State, err)
	}
}

// A server program of another protocol than the launcher's (a stale
// cloudinitd-instance beside a newer cloudinitd) fails the launch at once,
// permanently, saying why.
func TestLaunchOfAnotherProtocolIsPermanent(t *testing.T) {
	needProc(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The test binary serves (TestMain), told another protocol.
	exe := filepath.Join(t.TempDir(), "server")
	script := "#!/bin/sh\nCLOUDINITD_LOCAL_PROTOCOL=0 exec '" + self + "' \"$@\"\n"
	if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	d, err := local.New(local.Config{StateDir: t.TempDir(), Exe: exe})
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Launch(context.Background(), iaas.LaunchSpec{Run: iaas.RunID{Name: "r"}, Service: "s", ClientToken: "r-s-1"})
	if !errors.Is(err, iaas.ErrPermanent) || iaas.Retryable(err) || !strings.Contains(err.Error(), "protocol") {
		t.Fatalf("Launch: %v, want a permanent error that names the protocol", err)
	}
}

package local_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
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

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/iaastest"
	"github.com/cloudinitd/cloudinitd/iaas/local"
)

func TestInstancesSurviveLauncher(t *testing.T) {
	needProc(t)
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envChild+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("launcher child: %v\n%s", err, stderr.Bytes())
	}
	var refs []iaas.Ref
	if err := json.Unmarshal(out, &refs); err != nil || len(refs) != 2 {
		t.Fatalf("launcher child said %q: %v", out, err)
	}
	d := newDriver(t, dir)
	t.Cleanup(func() { _ = d.Terminate(context.Background(), refs...) })
	for _, r := range refs {
		inst := waitRunning(t, d, iaas.Instance{ID: r.ID, Handle: r.Handle})
		if out, _, _ := run(t, dial(t, inst), "echo alive"); out != "alive\n" {
			t.Errorf("%s: %q", r.ID, out)
		}
	}
	if err := d.Terminate(context.Background(), refs...); err != nil {
		t.Fatal(err)
	}
	got, err := d.Describe(context.Background(), refs...)
	if err != nil {
		t.Fatal(err)
	}
	for _, inst := range got {
		if inst.State != iaas.StateTerminated {
			t.Errorf("%s after Terminate: %s", inst.ID, inst.State)
		}
	}
}

// gone reports whether pid has exited (a zombie counts as gone).
func gone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || len(b) < i+3 || b[i+2] == 'Z'
}

// markerCount counts live processes whose environment carries id's marker.
func markerCount(t *testing.T, id string) int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err == nil && !gone(pid) && bytes.Contains(append([]byte{0}, env...), []byte("\x00"+local.EnvMarker+"="+id+"\x00")) {
			n++
		}
	}
	return n
}

func readPids(t *testing.T, dir string, names ...string) []int {
	t.Helper()
	var pids []int
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		pids = append(pids, pid)
	}
	return pids
}

func TestTerminateLeavesNoProcess(t *testing.T) {
	d := newDriver(t, t.TempDir())
	inst := waitRunning(t, d, launch(t, d, "daemons", "web"))
	boot := strings.Join([]string{
		`nohup sleep 1001 >/dev/null 2>&1 & echo $! > p1`,
		`setsid sleep 1002 >/dev/null 2>&1 </dev/null & echo $! > p2`,
		// Double fork: the intermediate shell exits at once.
		`sh -c 'sleep 1003 >/dev/null 2>&1 </dev/null & echo $! > p3'`,
		`echo booted`,
	}, "\n")
	out, errOut, code := run(t, dial(t, inst), boot)
	if out != "booted\n" || code != 0 {
		t.Fatalf("boot: %q %q %d", out, errOut, code)
	}
	pids := readPids(t, inst.WorkDir, "p1", "p2", "p3")
	for _, pid := range pids {
		if gone(pid) {
			t.Fatalf("daemon %d did not outlive its session", pid)
		}
	}
	if n := markerCount(t, inst.ID); n < 4 { // server + 3 daemons
		t.Fatalf("%d marked processes before Terminate, want at least 4", n)
	}
	if err := d.Terminate(context.Background(), ref(inst)); err != nil {
		t.Fatal(err)
	}
	if n := markerCount(t, inst.ID); n != 0 {
		t.Errorf("%d marked processes remain after Terminate", n)
	}
	for _, pid := range pids {
		if !gone(pid) {
			t.Errorf("daemon %d survived Terminate", pid)
		}
	}
	got, err := d.Describe(context.Background(), ref(inst))
	if err != nil || got[0].State != iaas.StateTerminated {
		t.Errorf("Describe after Terminate: %v %v", got, err)
	}
}

// TestClosingSessionHangsUp: a session closed while its command runs is
// hung up as sshd does without a terminal: the command dies, what it
// started in the background survives (until Terminate), started with
// nohup or not. cloudinitd's persistent shell is such a session at the end
// of every boot, with the boot programs' daemons in its process group.
func TestClosingSessionHangsUp(t *testing.T) {
	d := newDriver(t, t.TempDir())
	inst := waitRunning(t, d, launch(t, d, "close", "web"))
	s, err := dial(t, inst).NewSession()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := s.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(`sleep 1000 & echo $!; nohup sleep 1001 >/dev/null 2>&1 & echo $!; echo $$; wait`); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	var pids []int
	for len(pids) < 3 && sc.Scan() {
		pid, err := strconv.Atoi(sc.Text())
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	if len(pids) != 3 || gone(pids[0]) || gone(pids[1]) || gone(pids[2]) {
		t.Fatalf("command pids %v not running", pids)
	}
	plain, daemon, shell := pids[0], pids[1], pids[2]
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// nohup ignores SIGHUP and then becomes sleep: wait for the second.
	for {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", daemon))
		if strings.HasPrefix(string(b), "sleep\x00") {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("nohup did not exec sleep: %q", b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.Close()
	for !gone(shell) {
		if ctx.Err() != nil {
			t.Fatalf("the session's command %d still runs after the session closed", shell)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if gone(daemon) {
		t.Errorf("the nohup daemon %d died with the session", daemon)
	}
	if gone(plain) {
		t.Errorf("the background child %d died with the session", plain)
	}
	if err := d.Terminate(context.Background(), ref(inst)); err != nil {
		t.Fatal(err)
	}
	if !gone(daemon) || !gone(plain) {
		t.Errorf("the daemons %v survived Terminate", []int{daemon, plain})
	}
}

func TestDescribeAfterServerCrash(t *testing.T) {
	dir := t.TempDir()
	d := newDriver(t, dir)
	inst := waitRunning(t, d, launch(t, d, "crash", "web"))
	b, err := os.ReadFile(filepath.Join(dir, inst.ID, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ PID int }
	if err := json.Unmarshal(b, &m); err != nil || m.PID <= 0 {
		t.Fatalf("meta pid: %v %d", err, m.PID)
	}
	if err := syscall.Kill(m.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got, err := iaastest.WaitFor(ctx, newDriver(t, dir), ref(inst), 10*time.Millisecond,
		func(i iaas.Instance) bool { return i.State.Final() })
	if err != nil {
		t.Fatal(err)
	}
	if got.State != iaas.StateFailed || !errors.Is(got.Err, iaas.ErrTransient) {
		t.Errorf("after the server died: %s %v, want failed with a transient error", got.State, got.Err)
	}
}

func TestMissingExecutableIsPermanent(t *testing.T) {
	needProc(t)
	d, err := local.New(local.Config{StateDir: t.TempDir(), Exe: "/nonexistent/cloudinitd"})
	if err != nil {
		t.Fatal(err)
	}
	inst, err := d.Launch(context.Background(), iaas.LaunchSpec{Run: iaas.RunID{Name: "r"}, Service: "s", ClientToken: "r-s-1"})
	if err == nil {
		_ = d.Terminate(context.Background(), ref(inst))
		t.Fatal("Launch with a missing executable succeeded")
	}
	if !errors.Is(err, iaas.ErrPermanent) || iaas.Retryable(err) {
		t.Errorf("Launch: %v, want a permanent error", err)
	}
}

func TestConformance(t *testing.T) {
	dir := t.TempDir()
	iaastest.Run(t, iaastest.Harness{
		NewDriver: func(t *testing.T) iaas.Driver { return newDriver(t, dir) },
		Spec:      iaas.LaunchSpec{Image: "local", Allocation: "any"},
		Timeout:   30 * time.Second,
		RunFinder: true,
	})
}

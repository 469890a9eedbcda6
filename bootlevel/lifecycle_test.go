package bootlevel

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/store"
)

func TestTimeoutKillsProgram(t *testing.T) {
	files := threeLevels()
	files["level1.conf"] = "[svc-one]\npgm_timeout: 1\nbootpgm: sleep.sh\n"
	files["sleep.sh"] = "#!/bin/sh\necho $$ > pid\nexec sleep 100\n"
	h := newHarness(t, files)
	err := h.eng.Boot(testCtx(t), BootOptions{})
	if !errors.Is(err, remote.ErrTimeout) {
		t.Fatalf("boot error %v, want a timeout", err)
	}
	b, rerr := os.ReadFile(h.stage("one", "pid"))
	if rerr != nil {
		t.Fatal(rerr)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	for i := 0; syscall.Kill(pid, 0) == nil; i++ {
		if i > 100 {
			t.Fatalf("program %d still running after the timeout", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestTerminateReverseWithFailingTerminatePgm(t *testing.T) {
	files := threeLevels()
	files["two-term.sh"] = "#!/bin/sh\necho cannot stop >&2\nexit 4\n"
	h := newHarness(t, files)
	ctx := testCtx(t)
	if err := h.eng.Boot(ctx, BootOptions{}); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, n := range []string{"one", "two", "three"} {
		ids[n] = h.service(n).InstanceID
	}
	err := h.eng.Terminate(ctx)
	var se *ServiceError
	if !errors.As(err, &se) || se.Service != "two" || se.Step != StepTerminatePgm {
		t.Fatalf("terminate error %v", err)
	}
	for n, id := range ids {
		if st := h.instanceState(id); st != iaas.StateTerminated && st != iaas.StateTerminating {
			t.Errorf("%s: instance %s is %s", n, id, st)
		}
		s := h.service(n)
		if s.State != store.StateTerminated || s.Hostname != "" || s.InstanceID != id {
			t.Errorf("%s: state %s hostname %q instance %q", n, s.State, s.Hostname, s.InstanceID)
		}
	}
	if _, err := os.Stat(h.stage("two", "")); !os.IsNotExist(err) {
		t.Errorf("stage dir of two not removed: %v", err)
	}
	var order []int
	for _, e := range h.events.all() {
		if e.Kind == KindLevelStart {
			order = append(order, e.Level)
		}
	}
	if got := order[len(order)-3:]; got[0] != 3 || got[1] != 2 || got[2] != 1 {
		t.Errorf("terminate level order %v", got)
	}
	// A second terminate succeeds and does nothing.
	if err := h.eng.Terminate(ctx); err != nil {
		t.Errorf("second terminate: %v", err)
	}
}

func TestStatusAndRepairAfterInstanceKilled(t *testing.T) {
	h := newHarness(t, threeLevels())
	ctx := testCtx(t)
	if err := h.eng.Boot(ctx, BootOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := h.eng.Status(ctx); err != nil {
		t.Fatalf("status of a healthy run: %v", err)
	}
	old := h.service("two")
	if err := h.cloud.Terminate(ctx, iaas.Ref{ID: old.InstanceID}); err != nil {
		t.Fatal(err)
	}
	err := h.eng.Status(ctx)
	var se *ServiceError
	if !errors.As(err, &se) || se.Service != "two" || se.Step != StepRunning {
		t.Fatalf("status error %v", err)
	}
	if err := h.eng.Repair(ctx); err != nil {
		t.Fatalf("repair: %v", err)
	}
	s := h.service("two")
	if s.Attempt != 2 || s.InstanceID == old.InstanceID || s.State != store.StateReady {
		t.Errorf("after repair: attempt %d instance %q (old %q) state %s", s.Attempt, s.InstanceID, old.InstanceID, s.State)
	}
	if err := h.eng.Status(ctx); err != nil {
		t.Errorf("status after repair: %v", err)
	}
}

func TestStatusOfTerminatedService(t *testing.T) {
	h := newHarness(t, threeLevels())
	ctx := testCtx(t)
	if err := h.eng.Boot(ctx, BootOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := h.eng.Terminate(ctx); err != nil {
		t.Fatal(err)
	}
	err := h.eng.Status(ctx)
	if !errors.Is(err, ErrTerminated) || !strings.Contains(err.Error(), "boot it again") {
		t.Fatalf("status error %v", err)
	}
}

func TestResumeAfterCrashLaunchesNoDuplicate(t *testing.T) {
	h := newHarness(t, threeLevels())
	ctx := testCtx(t)
	// Simulate a crash of another process after the launch call reached
	// the cloud but before its result was recorded.
	token := h.token("one", 1)
	if _, err := h.db.LaunchIntent(ctx, "one", 1, token, "fake"); err != nil {
		t.Fatal(err)
	}
	first, err := h.cloud.Launch(ctx, iaas.LaunchSpec{Run: h.runID(), Service: "one", Attempt: 1, ClientToken: token, Image: "img"})
	if err != nil {
		t.Fatal(err)
	}
	eng := h.reopen()
	if err := eng.Boot(ctx, BootOptions{}); err == nil {
		t.Fatal("boot without resume of a started run succeeded")
	}
	if err := eng.Boot(ctx, BootOptions{Resume: true}); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if s := h.service("one"); s.InstanceID != first.ID || s.Attempt != 1 {
		t.Errorf("one: instance %q attempt %d, want %q attempt 1", s.InstanceID, s.Attempt, first.ID)
	}
	if n := h.count.instances(); n != 3 {
		t.Errorf("%d distinct instances, want 3", n)
	}
	hs, err := h.db.InstanceHistory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 3 {
		t.Errorf("history has %d rows, want 3: %+v", len(hs), hs)
	}
	// Resume of a finished run does nothing.
	before := h.count.calls
	if err := eng.Boot(ctx, BootOptions{Resume: true}); err != nil || h.count.calls != before {
		t.Errorf("second resume: %v, %d new launch calls", err, h.count.calls-before)
	}
}

func TestPrelaunchBeforeLevelOne(t *testing.T) {
	h := newHarness(t, threeLevels())
	if err := h.eng.Boot(testCtx(t), BootOptions{Prelaunch: true}); err != nil {
		t.Fatal(err)
	}
	launched, firstPgm := 0, -1
	for i, e := range h.events.all() {
		if e.Kind == KindState && e.State == string(store.StateLaunched) {
			launched++
			if firstPgm >= 0 {
				t.Errorf("%s launched after the first program ran", e.Service)
			}
		}
		if e.Kind == KindStep && e.Step == StepBootPgm && firstPgm < 0 {
			firstPgm = i
		}
	}
	if launched != 3 || firstPgm < 0 {
		t.Errorf("launched %d, first program at %d", launched, firstPgm)
	}
}

func TestTransientLaunchErrorsWithRetry(t *testing.T) {
	files := threeLevels()
	files["top.conf"] = strings.Replace(files["top.conf"], "pgm_timeout: 30", "pgm_timeout: 30\nfake_error_rate: 0.3\nfake_seed: 7", 1)
	h := newHarness(t, files)
	h.eng.Drivers = func(iaas.Selector) (iaas.Driver, error) {
		return iaas.WithRetry(h.count, iaas.RetryPolicy{Attempts: 20, Base: time.Millisecond, Max: 5 * time.Millisecond}), nil
	}
	if err := h.eng.Boot(testCtx(t), BootOptions{Prelaunch: true}); err != nil {
		t.Fatalf("boot: %v", err)
	}
	if h.count.instances() != 3 {
		t.Errorf("%d instances, want 3", h.count.instances())
	}
	// Seed 7 refuses at least one launch call of this plan: the boot above
	// went through a retry, not around the faults.
	if h.count.calls <= 3 {
		t.Errorf("%d launch calls for 3 instances: no injected failure was retried", h.count.calls)
	}
}

func TestCapacityErrorFails(t *testing.T) {
	files := threeLevels()
	files["top.conf"] = strings.Replace(files["top.conf"], "pgm_timeout: 30", "pgm_timeout: 30\nfake_capacity: 2", 1)
	h := newHarness(t, files)
	err := h.eng.Boot(testCtx(t), BootOptions{})
	var se *ServiceError
	if !errors.Is(err, iaas.ErrCapacity) || !errors.As(err, &se) || se.Service != "three" || se.Step != StepLaunch {
		t.Fatalf("boot error %v", err)
	}
	if se.Hint() == "" {
		t.Error("no hint for a capacity error")
	}
	t.Logf("message: %v (hint: %s)", err, se.Hint())
	hs, _ := h.db.InstanceHistory(testCtx(t))
	if last := hs[len(hs)-1]; last.State != store.HistoryFailed {
		t.Errorf("failed launch recorded as %q", last.State)
	}
}

func TestInstanceDiesMidBoot(t *testing.T) {
	files := threeLevels()
	files["level2.conf"] = "[svc-two]\nfake_die_after: 300ms\nbootpgm: slow.sh\n"
	files["slow.sh"] = "#!/bin/sh\nsleep 0.6\n"
	h := newHarness(t, files)
	err := h.eng.Boot(testCtx(t), BootOptions{})
	var se *ServiceError
	if !errors.As(err, &se) || se.Service != "two" || !errors.Is(err, iaas.ErrTransient) {
		t.Fatalf("boot error %v", err)
	}
	if s := h.service("three"); s.State != store.StateNew {
		t.Errorf("level 3 ran: %s", s.State)
	}
}

func TestSecondEngineTerminatesEverything(t *testing.T) {
	files := threeLevels()
	files["level2.conf"] = "[svc-two]\nbootpgm: fail.sh\n"
	files["fail.sh"] = "#!/bin/sh\nexit 1\n"
	h := newHarness(t, files)
	ctx := testCtx(t)
	if err := h.eng.Boot(ctx, BootOptions{Prelaunch: true}); err == nil {
		t.Fatal("boot succeeded")
	}
	// An earlier attempt left running: a repair restarts two twice.
	_ = h.eng.Repair(ctx)
	hs, err := h.db.InstanceHistory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	eng := h.reopen()
	if err := eng.Terminate(ctx); err != nil {
		t.Fatalf("terminate from a new engine: %v", err)
	}
	for _, r := range hs {
		if st := h.instanceState(r.InstanceID); !st.Final() && st != iaas.StateTerminating {
			t.Errorf("%s (%s attempt %d) is %s", r.InstanceID, r.Service, r.Attempt, st)
		}
	}
	entries, err := eng.History(ctx, false)
	if err != nil || len(entries) != len(hs) {
		t.Errorf("history: %d entries, %v", len(entries), err)
	}
}

func TestCleanTerminatesOrphans(t *testing.T) {
	h := newHarness(t, threeLevels())
	ctx := testCtx(t)
	if err := h.eng.Boot(ctx, BootOptions{}); err != nil {
		t.Fatal(err)
	}
	// A second instance for one makes the first an orphan.
	old := h.service("one")
	rn := h.run()
	if err := rn.launch(ctx, 1, rn.resolver(), old, nil, 2); err != nil {
		t.Fatal(err)
	}
	done, err := h.eng.Clean(ctx)
	if err != nil {
		t.Fatalf("clean: %v", err)
	}
	if len(done) != 1 || done[0] != old.InstanceID {
		t.Errorf("clean terminated %v, want [%s]", done, old.InstanceID)
	}
	if st := h.instanceState(old.InstanceID); st != iaas.StateTerminated && st != iaas.StateTerminating {
		t.Errorf("orphan is %s", st)
	}
	if st := h.instanceState(h.service("one").InstanceID); st != iaas.StateRunning {
		t.Errorf("current instance is %s", st)
	}
}

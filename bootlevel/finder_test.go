package bootlevel

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/store"
)

// crashAfterLaunch simulates a process that recorded the intent of svc's
// first launch, whose launch reached the cloud, and that died before
// recording the instance id. It returns the instance the cloud holds.
func crashAfterLaunch(t *testing.T, h *harness, svc string) iaas.Instance {
	t.Helper()
	ctx := testCtx(t)
	token := h.token(svc, 1)
	if _, err := h.db.LaunchIntent(ctx, svc, 1, token, "fake"); err != nil {
		t.Fatal(err)
	}
	in, err := h.cloud.Launch(ctx, iaas.LaunchSpec{Run: h.runID(), Service: svc, Attempt: 1, ClientToken: token, Image: "img"})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// historyRow is what the tests compare of a history row.
type historyRow struct {
	Service, InstanceID string
	State               store.HistoryState
}

func historyRows(t *testing.T, h *harness) []historyRow {
	t.Helper()
	hs, err := h.db.InstanceHistory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []historyRow
	for _, r := range hs {
		out = append(out, historyRow{r.Service, r.InstanceID, r.State})
	}
	return out
}

func warnings(h *harness) string {
	var b strings.Builder
	for _, e := range h.events.all() {
		if e.Kind == KindWarning {
			b.WriteString(e.Service + ": " + e.Detail + "\n")
		}
	}
	return b.String()
}

// TestTerminateFindsUnrecordedLaunch: the launch completed in the cloud but
// its id never reached the record; terminate from another process finds it
// through the fake driver's FindByRun, records it and terminates it, and
// also terminates an instance of the run that nothing in the record
// explains.
func TestTerminateFindsUnrecordedLaunch(t *testing.T) {
	h := newHarness(t, threeLevels())
	ctx := testCtx(t)
	lost := crashAfterLaunch(t, h, "one")
	stray, err := h.cloud.Launch(ctx, iaas.LaunchSpec{Run: h.runID(), Service: "two", ClientToken: "stray", Image: "img"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := h.cloud.Launch(ctx, iaas.LaunchSpec{Run: iaas.RunID{Name: "other-run"}, Service: "one", ClientToken: "other", Image: "img"})
	if err != nil {
		t.Fatal(err)
	}
	eng := h.reopen()
	if err := eng.Terminate(ctx); err != nil {
		t.Fatalf("terminate: %v", err)
	}
	for _, in := range []iaas.Instance{lost, stray} {
		if st := h.instanceState(in.ID); !st.Final() && st != iaas.StateTerminating {
			t.Errorf("instance %s (%s) is %s after terminate", in.ID, in.ClientToken, st)
		}
	}
	if st := h.instanceState(other.ID); st != iaas.StateRunning {
		t.Errorf("another run's instance is %s", st)
	}
	want := []historyRow{{"one", lost.ID, store.HistoryTerminated}}
	if diff := cmp.Diff(want, historyRows(t, h)); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	w := warnings(h)
	for _, s := range []string{"was never recorded; the driver found its instance " + lost.ID, "unrecorded instance " + stray.ID} {
		if !strings.Contains(w, s) {
			t.Errorf("no warning %q in:\n%s", s, w)
		}
	}
	if strings.Contains(w, "cannot search") {
		t.Errorf("warned that fake cannot search:\n%s", w)
	}
	if s := h.service("one"); s.State != store.StateTerminated || s.InstanceID != lost.ID {
		t.Errorf("one: %s %q", s.State, s.InstanceID)
	}
}

// TestTerminateIntentWithoutInstance: the process died before its launch
// reached the cloud; the driver finds nothing with the token, so the intent
// is marked failed, not left for ever.
func TestTerminateIntentWithoutInstance(t *testing.T) {
	h := newHarness(t, threeLevels())
	ctx := testCtx(t)
	if _, err := h.db.LaunchIntent(ctx, "two", 1, h.token("two", 1), "fake"); err != nil {
		t.Fatal(err)
	}
	eng := h.reopen()
	if err := eng.Terminate(ctx); err != nil {
		t.Fatalf("terminate: %v", err)
	}
	if diff := cmp.Diff([]historyRow{{"two", "", store.HistoryFailed}}, historyRows(t, h)); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
}

// hiddenFinder hides every optional ability of the driver it wraps (no
// Unwrap), like a driver without RunFinder.
type hiddenFinder struct{ iaas.Driver }

// TestTerminateWithoutRunFinderWarns: a driver that cannot search leaves
// the intent as it is and says which token to look for.
func TestTerminateWithoutRunFinderWarns(t *testing.T) {
	h := newHarness(t, threeLevels())
	ctx := testCtx(t)
	lost := crashAfterLaunch(t, h, "one")
	eng := h.reopen()
	eng.Drivers = func(iaas.Selector) (iaas.Driver, error) { return hiddenFinder{h.count}, nil }
	if err := eng.Terminate(ctx); err != nil {
		t.Fatalf("terminate: %v", err)
	}
	if w := warnings(h); !strings.Contains(w, "(client token "+lost.ClientToken+") never returned an instance id and driver fake cannot search") {
		t.Errorf("warnings:\n%s", w)
	}
	if st := h.instanceState(lost.ID); st != iaas.StateRunning {
		t.Errorf("instance is %s; nothing should have found it", st)
	}
}

// TestHistoryAndCleanFindUnrecorded: history records the lost launch as
// its service's instance and lists a stray instance of the run as
// unrecorded; clean terminates the stray one and keeps the recorded one
// (a resumed boot continues with it).
func TestHistoryAndCleanFindUnrecorded(t *testing.T) {
	h := newHarness(t, threeLevels())
	ctx := testCtx(t)
	lost := crashAfterLaunch(t, h, "one")
	stray, err := h.cloud.Launch(ctx, iaas.LaunchSpec{Run: h.runID(), Service: "three", ClientToken: "stray", Image: "img"})
	if err != nil {
		t.Fatal(err)
	}
	eng := h.reopen()
	got, err := eng.History(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		Service, ID, Token  string
		State               iaas.State
		Current, Unrecorded bool
	}
	var es []entry
	for _, e := range got {
		es = append(es, entry{e.Service, e.InstanceID, e.ClientToken, e.State, e.Current, e.Unrecorded})
	}
	want := []entry{
		{"one", lost.ID, lost.ClientToken, iaas.StateRunning, true, false},
		{"three", stray.ID, "stray", iaas.StateRunning, false, true},
	}
	if diff := cmp.Diff(want, es); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if s := h.service("one"); s.InstanceID != lost.ID || s.State != store.StateLaunched {
		t.Errorf("one after history: %s %q", s.State, s.InstanceID)
	}
	ids, err := eng.Clean(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{stray.ID}, ids); diff != "" {
		t.Errorf("clean (-want +got):\n%s", diff)
	}
	if st := h.instanceState(lost.ID); st != iaas.StateRunning {
		t.Errorf("recorded instance is %s after clean", st)
	}
	// The resumed boot continues with the recorded instance: no new launch.
	if err := eng.Boot(ctx, BootOptions{Resume: true}); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if s := h.service("one"); s.InstanceID != lost.ID || s.State != store.StateReady {
		t.Errorf("one after resume: %s %q", s.State, s.InstanceID)
	}
	killed, err := eng.History(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range killed {
		if e.State == iaas.StateRunning && !e.Killed {
			t.Errorf("history -k left %s running", e.InstanceID)
		}
	}
}

// TestLaunchErrorNamesStepOnce: a cloud error that names its op reads
// "launch: fake.capacity: ...", not "launch: launch: ...".
func TestLaunchErrorNamesStepOnce(t *testing.T) {
	se := &ServiceError{Level: 1, Service: "web", Step: StepLaunch,
		Err: &iaas.CloudError{Class: iaas.ErrCapacity, Op: "launch", Code: "fake.capacity", Message: "full"}}
	if got, want := se.Error(), `level 1: service "web": launch: fake.capacity: full`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	se = &ServiceError{Level: 2, Service: "db", Step: StepBootPgm, Err: errors.New("exit status 3")}
	if got, want := se.Error(), `level 2: service "db": bootpgm: exit status 3`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

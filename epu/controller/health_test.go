package controller

import (
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// fakeTarget holds instances the way the original's FakeState does:
// setting a state keeps the health unless one is given.
type fakeTarget struct{ m map[string]engine.Instance }

func (f *fakeTarget) instance(id string) (engine.Instance, bool) { i, ok := f.m[id]; return i, ok }
func (f *fakeTarget) all() []engine.Instance {
	var out []engine.Instance
	for _, i := range f.m {
		out = append(out, i)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].InstanceID < out[b].InstanceID })
	return out
}
func (f *fakeTarget) setHealth(id string, h epu.Health, errs []string, _ string) {
	i := f.m[id]
	i.Health, i.Errors = h, errs
	f.m[id] = i
}

// at is second s of the test's timeline.
func at(s int) time.Time { return time.Unix(1_000_000+int64(s), 0) }

// step is one moment of a timeline: instance states set, heartbeats
// received, the monitor updated (or not), then the health expected.
type step struct {
	now       int
	set       map[string]setTo // instance → state (and health, when given)
	heartbeat map[string]epu.Heartbeat
	noUpdate  bool
	want      map[string]epu.Health
	wantErrs  map[string][]string
}

type setTo struct {
	state  epu.State
	health epu.Health
}

func runTimeline(t *testing.T, start int, steps []step) {
	t.Helper()
	m := newHealthMonitor(10*time.Second, 5*time.Second, 10*time.Second, at(start))
	f := &fakeTarget{m: map[string]engine.Instance{}}
	for i, s := range steps {
		for id, to := range s.set {
			in := f.m[id]
			h := to.health
			if h == "" {
				h = in.Health
			}
			if h == "" {
				h = epu.HealthUnknown
			}
			f.m[id] = engine.Instance{InstanceID: id, LaunchID: "thelaunch", Site: "chicago", Allocation: "big",
				State: to.state, StateTime: at(s.now), Health: h, Errors: in.Errors}
		}
		for _, id := range sortedKeys(s.heartbeat) {
			hb := s.heartbeat[id]
			hb.NodeID = id
			m.heartbeat(f, hb, at(s.now))
		}
		if !s.noUpdate {
			m.update(f, at(s.now))
		}
		got := map[string]epu.Health{}
		for id := range s.want {
			got[id] = f.m[id].Health
		}
		if d := cmp.Diff(s.want, got); s.want != nil && d != "" {
			t.Errorf("step %d (t=%d): health (-want +got):\n%s", i, s.now, d)
		}
		for id, want := range s.wantErrs {
			if d := cmp.Diff(want, f.m[id].Errors); d != "" {
				t.Errorf("step %d (t=%d): errors of %s (-want +got):\n%s", i, s.now, id, d)
			}
		}
	}
}

var (
	ok         = epu.Heartbeat{State: epu.HealthOK}
	monitorErr = epu.Heartbeat{State: epu.HealthMonitorError, Error: "faiiiill"}
	procErr    = epu.Heartbeat{State: epu.HealthProcessError, FailedProcesses: []string{"proc1: faaaaaail"}}
	procErr2   = epu.Heartbeat{State: epu.HealthProcessError, FailedProcesses: []string{"proc1"}}
	procA      = epu.Heartbeat{State: epu.HealthProcessError, FailedProcesses: []string{"a"}}
)

const (
	hOK      = epu.HealthOK
	hUnknown = epu.HealthUnknown
	hMissing = epu.HealthMissing
	hZombie  = epu.HealthZombie
	hProc    = epu.HealthProcessError
)

// The timelines of the original's test_health.py (boot 10 s, missing 5 s,
// zombie 10 s), step by step.
func TestHealthTimelines(t *testing.T) {
	run := func(s epu.State) setTo { return setTo{state: s} }
	all := func(h epu.Health, ids ...string) map[string]epu.Health {
		m := map[string]epu.Health{}
		for _, id := range ids {
			m[id] = h
		}
		return m
	}
	merge := func(ms ...map[string]epu.Health) map[string]epu.Health {
		out := map[string]epu.Health{}
		for _, m := range ms {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	three := map[string]setTo{"n1": run(epu.Running), "n2": run(epu.Running), "n3": run(epu.Running)}
	terminated := map[string]setTo{"n1": run(epu.Terminated), "n2": run(epu.Terminated), "n3": run(epu.Terminated)}
	tests := []struct {
		name  string
		start int
		steps []step
	}{
		{"basic", 0, []step{
			{now: 0, set: three, want: all(hUnknown, "n1", "n2", "n3")},
			{now: 5, want: all(hUnknown, "n1", "n2", "n3")},
			{now: 5, heartbeat: map[string]epu.Heartbeat{"n1": ok}, noUpdate: true, want: all(hOK, "n1")},
			{now: 10, want: merge(all(hOK, "n1"), all(hUnknown, "n2", "n3"))},
			{now: 10, heartbeat: map[string]epu.Heartbeat{"n1": ok, "n2": ok}, noUpdate: true},
			{now: 11, want: merge(all(hOK, "n1", "n2"), all(hMissing, "n3"))},
			{now: 11, heartbeat: map[string]epu.Heartbeat{"n3": ok}, noUpdate: true, want: all(hOK, "n1", "n2", "n3")},
			{now: 13, heartbeat: map[string]epu.Heartbeat{"n1": ok}, noUpdate: true},
			{now: 16, want: merge(all(hOK, "n1", "n3"), all(hMissing, "n2"))},
			{now: 16, heartbeat: map[string]epu.Heartbeat{"n2": ok}, noUpdate: true, want: all(hOK, "n1", "n2", "n3")},
			// All TERMINATED in the cloud: longer than the missing window
			// for n1, which no longer matters.
			{now: 20, set: terminated, want: all(hOK, "n1", "n2", "n3")},
			{now: 30, heartbeat: map[string]epu.Heartbeat{"n1": ok}, want: all(hOK, "n1", "n2", "n3")}, // not a zombie yet
			{now: 31, want: all(hOK, "n1")},
			{now: 31, heartbeat: map[string]epu.Heartbeat{"n1": ok}, want: all(hZombie, "n1")},
			{now: 42, want: all(hUnknown, "n1")},
		}},
		{"recovery", 100, []step{
			{now: 50, noUpdate: true, set: map[string]setTo{"n1": {epu.Running, hOK}}},
			{now: 90, noUpdate: true, set: map[string]setTo{"n2": {epu.Running, hUnknown}, "n3": {epu.Terminated, hUnknown}}},
			{now: 95, noUpdate: true, set: map[string]setTo{"n4": {epu.Running, hUnknown}, "n5": {epu.Running, hOK}, "n6": {epu.Running, hProc}}},
			{now: 80, noUpdate: true, set: map[string]setTo{"n7": {epu.Terminated, hZombie}}},
			{now: 100, want: merge(all(hOK, "n1", "n5"), all(hUnknown, "n2", "n3", "n4", "n7"), all(hProc, "n6"))},
			{now: 105, want: merge(all(hOK, "n1", "n5"), all(hUnknown, "n2", "n3", "n4", "n7"), all(hProc, "n6"))},
			{now: 105, noUpdate: true, heartbeat: map[string]epu.Heartbeat{"n5": ok, "n7": ok, "n6": procA}},
			{now: 106, want: merge(all(hOK, "n5"), all(hMissing, "n1"), all(hUnknown, "n2", "n3", "n4"), all(hProc, "n6"), all(hZombie, "n7"))},
			{now: 110, heartbeat: map[string]epu.Heartbeat{"n5": ok}, want: merge(all(hOK, "n5"), all(hMissing, "n1"), all(hUnknown, "n2", "n3", "n4"), all(hProc, "n6"), all(hZombie, "n7"))},
			{now: 110, noUpdate: true, heartbeat: map[string]epu.Heartbeat{"n4": ok, "n6": procA}},
			{now: 111, want: merge(all(hOK, "n5", "n4"), all(hMissing, "n1", "n2"), all(hUnknown, "n3"), all(hProc, "n6"), all(hZombie, "n7"))},
		}},
		{"error", 0, []step{
			{now: 1, set: map[string]setTo{"n": run(epu.Running)}, heartbeat: map[string]epu.Heartbeat{"n": ok}, want: all(hOK, "n")},
			{now: 5, noUpdate: true, heartbeat: map[string]epu.Heartbeat{"n": monitorErr}, want: all(epu.HealthMonitorError, "n"), wantErrs: map[string][]string{"n": {"faiiiill"}}},
			{now: 5, want: all(epu.HealthMonitorError, "n")},
		}},
		{"process_error", 0, []step{
			{now: 1, set: map[string]setTo{"n": run(epu.Running)}, heartbeat: map[string]epu.Heartbeat{"n": ok}, want: all(hOK, "n")},
			{now: 5, heartbeat: map[string]epu.Heartbeat{"n": procErr}, want: all(hProc, "n"), wantErrs: map[string][]string{"n": {"proc1: faaaaaail"}}},
			// The same state and error time again: the errors stay those
			// of the first report.
			{now: 8, noUpdate: true, heartbeat: map[string]epu.Heartbeat{"n": procErr2}, want: all(hProc, "n"), wantErrs: map[string][]string{"n": {"proc1: faaaaaail"}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runTimeline(t, tt.start, tt.steps) })
	}
}

package engine_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
	"github.com/cloudinitd/cloudinitd/epu/engine/enginetest"
)

func n(v int) *int { return &v }

// ask is one step of an autoscale scenario, done in this order: the clock
// moved, instances changed, a request, stop requests, a decide (unless
// noDecide), then the checks.
type ask struct {
	advance  time.Duration
	health   map[string]bool      // instance → healthy (NewHealth)
	state    map[string]epu.State // instance → state (SetState)
	req      *engine.AutoscaleRequest
	stops    []stop
	noDecide bool
	want     map[string]int // array → valid instances carrying it (nil: not checked)
	wantIDs  []string       // valid instances, by id (nil: not checked)
	check    func(t *testing.T, h *enginetest.Harness, st engine.AutoscaleStatus)
}

type stop struct {
	id          string
	unhealthy   bool
	wantGranted bool
}

func exec(ts ...int) engine.AutoscaleRequest {
	return engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", TargetCount: n(ts[0])}}}
}

func ptr[T any](v T) *T { return &v }

// TestAutoscaleScenarios is the CycleCloud cluster-side semantics of
// reference §2.10 on the instant-RUNNING harness with a fake clock.
func TestAutoscaleScenarios(t *testing.T) {
	for _, tc := range []struct {
		name  string
		conf  engine.Conf
		steps []ask
	}{
		{"merge keeps what a request leaves out", engine.Conf{"cores": 4.0}, []ask{
			{req: ptr(exec(2)), want: map[string]int{"execute": 2}},
			{req: &engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", MaxCount: n(5)}}}, want: map[string]int{"execute": 2}},
			{req: ptr(exec(9)), want: map[string]int{"execute": 5}}, // the MaxCount of the previous request holds
			{req: &engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", MaxCount: n(0), TargetCount: n(0), TargetCoreCount: n(26)}}},
				want: map[string]int{"execute": 7}}, // 26 cores of 4-core nodes: 7
		}},
		{"MaxCount, MaxCoreCount and the cluster's max_count cap", engine.Conf{"cores": 2.0, "max_count": 6.0,
			"arrays": map[string]any{"execute": map[string]any{"MaxCoreCount": 8.0}, "gpu": map[string]any{"MaxCount": 3.0}}}, []ask{
			{req: &engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", TargetCount: n(10)}, {Name: "gpu", TargetCount: n(10)}}},
				want: map[string]int{"execute": 4, "gpu": 2}}, // execute 8 cores / 2; gpu stopped by max_count 6
		}},
		{"dynamic arrays created and removed by omission per request set", nil, []ask{
			{req: &engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "gpu", Dynamic: true, Extends: "execute", TargetCount: n(2),
				Configuration: map[string]string{"gpu": "yes"}}}},
				want: map[string]int{"gpu": 2}, check: func(t *testing.T, h *enginetest.Harness, _ engine.AutoscaleStatus) {
					if v := h.Launches[0].Extravars; v["gpu"] != "yes" || v[engine.ArrayVar] != "gpu" {
						t.Errorf("extravars of a gpu node: %v", v)
					}
				}},
			{req: &engine.AutoscaleRequest{RequestSet: "nightly", Arrays: []engine.ArrayRequest{{Name: "big", Dynamic: true, TargetCount: n(1)}}},
				want: map[string]int{"gpu": 2, "big": 1}},
			// The standard set omits gpu: flagged, target 0; big (set nightly) stays.
			{req: &engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{}}, want: map[string]int{"gpu": 2, "big": 1},
				check: wantArrays(map[string]string{"execute": "", "gpu": "removing", "big": ""})},
			{stops: []stop{{id: "i-0001", wantGranted: true}, {id: "i-0002", wantGranted: true}}, want: map[string]int{"big": 1},
				check: wantArrays(map[string]string{"execute": "", "big": ""})}, // deleted once empty
		}},
		{"a re-requested dynamic array is no longer removed", nil, []ask{
			{req: &engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "gpu", Dynamic: true, TargetCount: n(1)}}}, want: map[string]int{"gpu": 1}},
			{req: &engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{}}, check: wantArrays(map[string]string{"execute": "", "gpu": "removing"})},
			{req: &engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "gpu", Dynamic: true}}}, want: map[string]int{"gpu": 1},
				check: wantArrays(map[string]string{"execute": "", "gpu": ""})},
		}},
		{"a target expires 5 minutes after the last request", nil, []ask{
			{req: ptr(exec(2)), want: map[string]int{"execute": 2}},
			{advance: 4 * time.Minute, stops: []stop{{id: "i-0001"}}, want: map[string]int{"execute": 2}},
			{advance: 2 * time.Minute, want: map[string]int{"execute": 1}, wantIDs: []string{"i-0002"}}, // expired: the asker goes
			{state: map[string]epu.State{"i-0002": epu.Failed}, want: map[string]int{}},                 // not replaced
			{req: ptr(exec(1)), want: map[string]int{"execute": 1}},                                     // asserted again
		}},
		{"expiration_interval per request and in the configuration", engine.Conf{"expiration_interval": "1m"}, []ask{
			{req: ptr(exec(1)), want: map[string]int{"execute": 1}},
			{advance: 61 * time.Second, stops: []stop{{id: "i-0001", wantGranted: true}}, want: map[string]int{}},
			{req: &engine.AutoscaleRequest{ExpirationInterval: "10m", Arrays: []engine.ArrayRequest{{Name: "execute", TargetCount: n(1)}}},
				want: map[string]int{"execute": 1}},
			{advance: 9 * time.Minute, stops: []stop{{id: "i-0002"}}, want: map[string]int{"execute": 1}},
		}},
		{"negotiated stop refused while demand holds, granted after it drops", nil, []ask{
			{req: ptr(exec(3)), want: map[string]int{"execute": 3}},
			{stops: []stop{{id: "i-0002"}, {id: "i-0003"}}, want: map[string]int{"execute": 3},
				check: func(t *testing.T, _ *enginetest.Harness, st engine.AutoscaleStatus) {
					if diff := cmp.Diff([]string{"i-0002", "i-0003"}, st.Arrays[0].StopAsked); diff != "" {
						t.Errorf("stop_asked (-want +got):\n%s", diff)
					}
				}},
			{req: ptr(exec(2)), wantIDs: []string{"i-0001", "i-0003"}}, // the first asker goes
			{req: ptr(exec(0)), wantIDs: []string{"i-0001"}},           // i-0001 never asked: it stays
			{stops: []stop{{id: "i-0001", wantGranted: true}}, wantIDs: []string{}},
		}},
		{"KeepAlive exempts a node from scale-down", nil, []ask{
			{req: ptr(exec(2)), want: map[string]int{"execute": 2}},
			{req: &engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", TargetCount: n(0)}},
				Nodes: []engine.NodeAttributes{{NodeID: "i-0001", KeepAlive: ptr(true)}}},
				stops: []stop{{id: "i-0001"}, {id: "i-0002", wantGranted: true}}, wantIDs: []string{"i-0001"}},
			{advance: time.Hour, wantIDs: []string{"i-0001"}},
			{req: &engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{}, Nodes: []engine.NodeAttributes{{NodeID: "i-0001", KeepAlive: ptr(false)}}},
				stops: []stop{{id: "i-0001", wantGranted: true}}, wantIDs: []string{}},
		}},
		{"a node not RUNNING within its boot timeout is removed and replaced", engine.Conf{"boot_timeout": "10m"}, []ask{
			{req: &engine.AutoscaleRequest{ExpirationInterval: "1h", Arrays: []engine.ArrayRequest{{Name: "execute", TargetCount: n(2)}},
				Nodes: nil}, want: map[string]int{"execute": 2}},
			{state: map[string]epu.State{"i-0001": epu.Pending, "i-0002": epu.Pending}, req: &engine.AutoscaleRequest{ExpirationInterval: "1h",
				Arrays: []engine.ArrayRequest{{Name: "execute"}}, Nodes: []engine.NodeAttributes{{NodeID: "i-0002", KeepAlive: ptr(true)}}},
				advance: 9 * time.Minute, wantIDs: []string{"i-0001", "i-0002"}},
			{advance: 2 * time.Minute, wantIDs: []string{"i-0002", "i-0003"}}, // i-0001 stuck: replaced; i-0002 KeepAlive: kept
		}},
		{"unhealthy nodes are replaced whatever the demand", nil, []ask{
			{req: ptr(exec(2)), want: map[string]int{"execute": 2}},
			{health: map[string]bool{"i-0001": false, "i-0002": true}, wantIDs: []string{"i-0002", "i-0003"}},
			{advance: 6 * time.Minute, health: map[string]bool{"i-0003": false}, wantIDs: []string{"i-0002"}}, // expired: not replaced
			{stops: []stop{{id: "i-0002", unhealthy: true, wantGranted: true}}, wantIDs: []string{}},
		}},
		{"a node asking to stop unhealthy is granted even when demand holds", nil, []ask{
			{req: ptr(exec(1)), want: map[string]int{"execute": 1}},
			{stops: []stop{{id: "i-0001", unhealthy: true, wantGranted: true}}, wantIDs: []string{"i-0002"}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { runAutoscale(t, tc.conf, tc.steps) })
	}
}

func runAutoscale(t *testing.T, conf engine.Conf, steps []ask) {
	t.Helper()
	h := enginetest.New()
	e := engine.NewAutoscale()
	if err := e.Initialize(h, h.State, conf); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	for i, s := range steps {
		h.Clock = h.Clock.Add(s.advance)
		for id, ok := range s.health {
			h.NewHealth(id, ok)
		}
		for id, st := range s.state {
			h.SetState(id, st)
		}
		if s.req != nil {
			if _, err := e.Autoscale(h, h.State, *s.req); err != nil {
				t.Fatalf("step %d: autoscale: %v", i, err)
			}
		}
		for _, st := range s.stops {
			a, err := e.StopNode(h, h.State, engine.StopRequest{NodeID: st.id, Unhealthy: st.unhealthy})
			if err != nil || a.Granted != st.wantGranted {
				t.Errorf("step %d: stop %s: %+v, %v; want granted %v", i, st.id, a, err, st.wantGranted)
			}
		}
		if !s.noDecide {
			if err := e.Decide(h, h.State); err != nil && !errors.Is(err, engine.ErrClusterCap) {
				t.Fatalf("step %d: decide: %v", i, err)
			}
			// Destroyed instances end: TERMINATED, as the provisioner says
			// later; a second decide sees the domain settled.
			for _, in := range h.State.All() {
				if in.State == epu.Terminating {
					h.SetState(in.InstanceID, epu.Terminated)
				}
			}
			if err := e.Decide(h, h.State); err != nil && !errors.Is(err, engine.ErrClusterCap) {
				t.Fatalf("step %d: second decide: %v", i, err)
			}
		}
		if s.want != nil {
			if diff := cmp.Diff(s.want, byArray(h)); diff != "" {
				t.Errorf("step %d: valid instances by array (-want +got):\n%s", i, diff)
			}
		}
		if s.wantIDs != nil {
			got := h.Valid()
			if got == nil {
				got = []string{}
			}
			if diff := cmp.Diff(s.wantIDs, got); diff != "" {
				t.Errorf("step %d: valid instances (-want +got):\n%s", i, diff)
			}
		}
		if s.check != nil {
			s.check(t, h, e.Status(h, h.State))
		}
	}
}

// byArray counts the valid instances by the array their extravars name.
func byArray(h *enginetest.Harness) map[string]int {
	out := map[string]int{}
	for _, id := range h.Valid() {
		out[h.State.Instances[id].Extravars[engine.ArrayVar]]++
	}
	return out
}

// wantArrays checks the arrays' names and which are flagged "removing".
func wantArrays(want map[string]string) func(*testing.T, *enginetest.Harness, engine.AutoscaleStatus) {
	return func(t *testing.T, _ *enginetest.Harness, st engine.AutoscaleStatus) {
		t.Helper()
		got := map[string]string{}
		for _, a := range st.Arrays {
			got[a.Name] = ""
			if a.Removing {
				got[a.Name] = "removing"
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("arrays (-want +got):\n%s", diff)
		}
	}
}

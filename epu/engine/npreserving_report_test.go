package engine_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
	"github.com/cloudinitd/cloudinitd/epu/engine/enginetest"
)

// TestNpreservingConfReport is the original's de_conf_report line, with
// Python list reprs.
func TestNpreservingConfReport(t *testing.T) {
	for _, tc := range []struct {
		name   string
		conf   engine.Conf
		reconf engine.Conf
		want   string
	}{
		{"defaults", nil, nil, "NpreservingEngine: preserves 0 instances (0 unique), sites: [], types: [], allocations: []"},
		{"all keys", engine.Conf{"preserve_n": "3", "force_site": "nimbus-ucsd", "epuworker_type": "sleeper", "epuworker_allocation": "m1.small",
			"unique_instances": map[string]any{"a": map[string]any{"k": "v"}}}, nil,
			"NpreservingEngine: preserves 3 instances (1 unique), sites: ['nimbus-ucsd'], types: ['sleeper'], allocations: ['m1.small']"},
		{"a quote in a value", engine.Conf{"force_site": "it's", "epuworker_type": `a\b`}, nil,
			`NpreservingEngine: preserves 0 instances (0 unique), sites: ["it's"], types: ['a\\b'], allocations: []`},
		{"reconfigured", engine.Conf{"preserve_n": "1", "force_site": "ec2"}, engine.Conf{"preserve_n": 4.0, "force_site": "local"},
			"NpreservingEngine: preserves 4 instances (0 unique), sites: ['local'], types: [], allocations: []"},
		{"refused reconfiguration", engine.Conf{"preserve_n": "2", "unique_instances": map[string]any{"a": map[string]any{}, "b": map[string]any{}}},
			engine.Conf{"preserve_n": "1", "force_site": "local"},
			"NpreservingEngine: preserves 2 instances (2 unique), sites: [], types: [], allocations: []"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := enginetest.New()
			e := engine.NewNpreserving()
			if err := e.Initialize(h, h.State, tc.conf); err != nil {
				t.Fatal(err)
			}
			if tc.reconf != nil {
				_ = e.Reconfigure(h, tc.reconf) // the last row is refused; the report says what holds
			}
			if diff := cmp.Diff(tc.want, e.ConfReport()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestNpreservingLaunchTarget: launches carry the launch keys; absent
// keys ask for the domain's own ("").
func TestNpreservingLaunchTarget(t *testing.T) {
	h := enginetest.New()
	e := engine.NewNpreserving()
	if err := e.Initialize(h, h.State, engine.Conf{"preserve_n": "1", "epuworker_allocation": "m1.large"}); err != nil {
		t.Fatal(err)
	}
	if err := e.Reconfigure(h, engine.Conf{"preserve_n": "2", "force_site": "ec2"}); err != nil {
		t.Fatal(err)
	}
	if err := e.Decide(h, h.State); err != nil {
		t.Fatal(err)
	}
	want := []enginetest.Launch{
		{Site: "ec2", Allocation: "m1.large", LaunchID: "l-0001", InstanceID: "i-0001"},
		{Site: "ec2", Allocation: "m1.large", LaunchID: "l-0002", InstanceID: "i-0002"},
	}
	if diff := cmp.Diff(want, h.Launches); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestNpreservingDevmode: with devmode on, unhealthy instances and
// reconfigured-away uniques are not terminated and the DE state is
// DEVMODE_FAILED_DE as soon as an instance is invalid or unhealthy; it
// stays so.
func TestNpreservingDevmode(t *testing.T) {
	for _, tc := range []struct {
		name    string
		devmode any
		breakIt func(h *enginetest.Harness)
		want    epu.DEState
		killed  int
	}{
		{"unhealthy kept", "true", func(h *enginetest.Harness) { h.NewHealth("i-0001", false) }, epu.DEDevmodeFailed, 0},
		{"failed instance", " TRUE", func(h *enginetest.Harness) { h.SetState("i-0002", epu.Failed) }, epu.DEDevmodeFailed, 0},
		{"devmode off replaces", "no", func(h *enginetest.Harness) { h.NewHealth("i-0001", false) }, epu.DEStable, 1}, // replaced, then RUNNING again
		{"devmode not a string", true, func(h *enginetest.Harness) { h.NewHealth("i-0001", false) }, epu.DEStable, 1}, // replaced, then RUNNING again
		{"healthy", "true", func(*enginetest.Harness) {}, epu.DEStable, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := enginetest.New()
			e := engine.NewNpreserving()
			if err := e.Initialize(h, h.State, engine.Conf{"preserve_n": "2", engine.DevmodeKey: tc.devmode}); err != nil {
				t.Fatal(err)
			}
			if err := e.Decide(h, h.State); err != nil {
				t.Fatal(err)
			}
			tc.breakIt(h)
			for range 2 {
				if err := e.Decide(h, h.State); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff([2]any{tc.want, tc.killed}, [2]any{e.DEState(), h.TotalKilled}); diff != "" {
				t.Errorf("(DE state, killed) (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("a unique reconfigured away is kept", func(t *testing.T) {
		h := enginetest.New()
		e := engine.NewNpreserving()
		if err := e.Initialize(h, h.State, engine.Conf{engine.DevmodeKey: "true", "preserve_n": "1", "unique_instances": map[string]any{"a": map[string]any{"k": "1"}}}); err != nil {
			t.Fatal(err)
		}
		if err := e.Decide(h, h.State); err != nil {
			t.Fatal(err)
		}
		if err := e.Reconfigure(h, engine.Conf{"unique_instances": map[string]any{}}); err != nil {
			t.Fatal(err)
		}
		if err := e.Decide(h, h.State); err != nil {
			t.Fatal(err)
		}
		if e.DEState() != epu.DEDevmodeFailed || !h.Active("i-0001") {
			t.Errorf("DE state %s, i-0001 active %v; want DEVMODE_FAILED_DE and kept", e.DEState(), h.Active("i-0001"))
		}
	})
}

// TestNpreservingStable: STABLE only once every instance is RUNNING and,
// with health checked, OK.
func TestNpreservingStable(t *testing.T) {
	h := enginetest.New()
	h.HealthChecked = true
	e := engine.NewNpreserving()
	if err := e.Initialize(h, h.State, engine.Conf{"preserve_n": "2"}); err != nil {
		t.Fatal(err)
	}
	var got []epu.DEState
	decide := func() {
		if err := e.Decide(h, h.State); err != nil {
			t.Fatal(err)
		}
		got = append(got, e.DEState())
	}
	decide()                    // launches: PENDING
	decide()                    // RUNNING, health UNKNOWN: PENDING
	h.NewHealth("i-0001", true) // one OK
	decide()
	h.NewHealth("i-0002", true)
	decide()
	want := []epu.DEState{epu.DEPending, epu.DEPending, epu.DEPending, epu.DEStable}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestNpreservingAdoptsUniques: a new engine (a restarted controller)
// records, for each unique key, the valid instance launched with its
// vars, instead of launching a second one.
func TestNpreservingAdoptsUniques(t *testing.T) {
	conf := engine.Conf{"preserve_n": "3", "unique_instances": map[string]any{
		"a": map[string]any{"role": "x"}, "b": map[string]any{"role": "y"},
	}}
	h := enginetest.New()
	first := engine.NewNpreserving()
	if err := first.Initialize(h, h.State, conf); err != nil {
		t.Fatal(err)
	}
	if err := first.Decide(h, h.State); err != nil {
		t.Fatal(err)
	}
	h.SetState("i-0002", epu.Failed) // b's instance failed before the restart

	again := engine.NewNpreserving()
	if err := again.Initialize(h, h.State, conf); err != nil {
		t.Fatal(err)
	}
	if err := again.Decide(h, h.State); err != nil {
		t.Fatal(err)
	}
	a, _ := again.UniqueInstance("a")
	b, _ := again.UniqueInstance("b")
	got := []any{a, b, h.TotalLaunched, h.TotalKilled, len(h.Valid())}
	if diff := cmp.Diff([]any{"i-0001", "i-0004", 4, 0, 3}, got); diff != "" {
		t.Errorf("(a, b, launched, killed, valid) (-want +got):\n%s", diff)
	}
}

// TestNpreservingUniqueNeverLaunched: a unique key reconfigured away
// before any decide launched it is an error of that decide, once.
func TestNpreservingUniqueNeverLaunched(t *testing.T) {
	h := enginetest.New()
	e := engine.NewNpreserving()
	if err := e.Reconfigure(h, engine.Conf{"preserve_n": "1", "unique_instances": map[string]any{"a": map[string]any{}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Reconfigure(h, engine.Conf{"unique_instances": map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	err := e.Decide(h, h.State)
	if err == nil || errors.Is(err, engine.ErrBadConf) {
		t.Fatalf("Decide: %v, want an engine error", err)
	}
	if err := e.Decide(h, h.State); err != nil {
		t.Fatalf("second Decide: %v", err)
	}
	if h.NumLaunched != 1 {
		t.Errorf("%d launched, want 1", h.NumLaunched)
	}
}

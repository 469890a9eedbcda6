package controller

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// Launch registers the instance as REQUESTING before the provision
// request leaves, with provisioner_vars + extravars + node_id + domain +
// heartbeat_dest (+ epu_controller, the service that owns the worker) and
// this controller as the only subscriber.
func TestLaunchRequest(t *testing.T) {
	e := &scriptedEngine{decide: func(_ int, c engine.Control, _ *engine.State) error {
		if err := c.Configure(engine.Conf{"provisioner_vars": map[string]any{"a": "b", "shared": "from-vars"}}); err != nil {
			return err
		}
		_, _, err := c.Launch("", "", "", map[string]string{"shared": "from-extra", "unique": "1"})
		return err
	}}
	cfg := testConfig(t.TempDir(), "scripted", nil)
	cfg.Domains[0].Site, cfg.Domains[0].Allocation = "site-a", "small"
	h := newHarness(t, cfg, e)
	var stateAtSend epu.State
	h.prov.onProvision = func(req epu.ProvisionRequest) { stateAtSend = h.instance(req.NodeIDs[0]).State }
	h.cycle()
	if len(h.prov.provisions) != 1 {
		t.Fatalf("provision calls %d; want 1", len(h.prov.provisions))
	}
	req := h.prov.provisions[0]
	id := req.NodeIDs[0]
	want := epu.ProvisionRequest{LaunchID: h.instance(id).LaunchID, DeployableType: "worker", NodeIDs: []string{id},
		Site: "site-a", Allocation: "small",
		Vars: map[string]string{"a": "b", "shared": "from-extra", "unique": "1", "node_id": id, "domain": "d", "heartbeat_dest": h.self.URL,
			"epu_controller": "epu-test"},
		Subscribers: []epu.Subscriber{h.self}}
	if d := cmp.Diff(want, req); d != "" {
		t.Errorf("provision request (-want +got):\n%s", d)
	}
	if stateAtSend != epu.Requesting {
		t.Errorf("instance state when the request left: %q; want it registered as REQUESTING first", stateAtSend)
	}
	if got := h.instance(id).Extravars; got["unique"] != "1" {
		t.Errorf("extravars not recorded on the instance: %v", got)
	}
	// Acknowledged: nothing is sent again.
	h.clock.Advance(time.Minute)
	h.domain().flush(context.Background())
	if p, _, _ := h.prov.counts(); p != 1 {
		t.Errorf("provision calls after success: %d; want 1", p)
	}
}

// A launch of another deployable type is refused with the reason.
func TestLaunchOtherTypeRefused(t *testing.T) {
	var launchErr error
	e := &scriptedEngine{decide: func(_ int, c engine.Control, _ *engine.State) error {
		_, _, launchErr = c.Launch("other", "", "", nil)
		return nil
	}}
	h := newHarness(t, testConfig(t.TempDir(), "scripted", nil), e)
	h.cycle()
	if !errors.Is(launchErr, ErrOtherType) || len(h.ids(epu.States...)) != 0 {
		t.Fatalf("launch of another type: %v, instances %v; want ErrOtherType and none", launchErr, h.ids(epu.States...))
	}
}

// The cap is never exceeded: launches beyond max_size are refused with a
// logged reason; instances still terminating count; ended ones do not.
func TestCap(t *testing.T) {
	var errs []error
	e := &scriptedEngine{decide: func(_ int, c engine.Control, _ *engine.State) error {
		errs = nil
		for range 5 {
			_, _, err := c.Launch("", "", "", nil)
			errs = append(errs, err)
		}
		return nil
	}}
	cfg := testConfig(t.TempDir(), "scripted", nil)
	cfg.Domains[0].MaxSize = 3
	h := newHarness(t, cfg, e)
	h.cycle()
	refused := 0
	for _, err := range errs {
		if errors.Is(err, ErrCapReached) {
			refused++
		} else if err != nil {
			t.Errorf("unexpected launch error: %v", err)
		}
	}
	if p, _, _ := h.prov.counts(); p != 3 || refused != 2 {
		t.Fatalf("provisions %d, refused %d; want 3 and 2", p, refused)
	}
	if !strings.Contains(h.logs.String(), `"event":"launch_refused","reason":"3 live instances, max_size 3"`) {
		t.Errorf("no launch_refused event with its reason in the log:\n%s", h.logs)
	}
	ids := h.ids(epu.Requesting)
	h.push(ids[0], epu.Terminating)
	h.cycle()
	if p, _, _ := h.prov.counts(); p != 3 {
		t.Fatalf("provisions %d while one of 3 is still TERMINATING; want 3", p)
	}
	h.push(ids[0], epu.Terminated)
	h.push(ids[1], epu.Failed)
	h.cycle()
	if p, _, _ := h.prov.counts(); p != 5 {
		t.Fatalf("provisions %d after two ended; want 5", p)
	}
	if live := len(h.ids(epu.Requesting)); live != 3 {
		t.Fatalf("live instances %d; want 3 (the cap)", live)
	}
}

// A failed provisioner call is sent again, not sooner than retry_period.
func TestRetryAfterFailure(t *testing.T) {
	e := &scriptedEngine{decide: func(n int, c engine.Control, s *engine.State) error {
		if n == 2 { // the first decide
			_, _, err := c.Launch("", "", "", nil)
			return err
		}
		if n == 3 {
			return c.Destroy(s.All()[0].InstanceID)
		}
		return nil
	}}
	h := newHarness(t, testConfig(t.TempDir(), "scripted", nil), e)
	h.prov.setFail(true)
	h.cycle()
	d := h.domain()
	flushAt := func(after time.Duration) {
		h.clock.Advance(after)
		d.flush(context.Background())
	}
	flushAt(4 * time.Second)
	if p, _, _ := h.prov.counts(); p != 1 {
		t.Fatalf("provision calls 4s after a failure: %d; want 1 (no resend before 5s)", p)
	}
	flushAt(time.Second)
	if p, _, _ := h.prov.counts(); p != 2 {
		t.Fatalf("provision calls 5s after a failure: %d; want 2", p)
	}
	h.prov.setFail(false)
	flushAt(5 * time.Second)
	flushAt(5 * time.Second)
	if p, _, _ := h.prov.counts(); p != 3 {
		t.Fatalf("provision calls after success: %d; want 3", p)
	}
	// A termination too.
	id := h.ids(epu.Requesting)[0]
	h.push(id, epu.Running)
	h.prov.setFail(true)
	h.cycle()
	flushAt(2 * time.Second)
	if _, term, _ := h.prov.counts(); term != 1 {
		t.Fatalf("terminate calls 2s after a failure: %d; want 1", term)
	}
	h.prov.setFail(false)
	flushAt(3 * time.Second)
	if got := h.prov.terminated(); !cmp.Equal(got, []string{id, id}) {
		t.Fatalf("terminations %v; want %s twice", got, id)
	}
	// Once the instance ended, nothing more is owed, even after a failure.
	h.prov.setFail(true)
	d.mu.Lock()
	err := d.control(context.Background()).Destroy(id)
	d.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	d.flush(context.Background())
	h.prov.setFail(false)
	h.push(id, epu.Terminated)
	flushAt(time.Minute)
	if _, term, _ := h.prov.counts(); term != 3 {
		t.Fatalf("terminate calls after TERMINATED: %d; want 3", term)
	}
}

// An engine error or panic is logged and the loop goes on; initialize
// comes before the first decide.
func TestLoopSurvivesEngineFailures(t *testing.T) {
	done := make(chan struct{})
	e := &scriptedEngine{decide: func(n int, _ engine.Control, _ *engine.State) error {
		switch n {
		case 2:
			return errors.New("engine trouble")
		case 3:
			panic("engine bug")
		case 4:
			close(done)
		}
		return nil
	}}
	cfg := testConfig(t.TempDir(), "scripted", nil)
	cfg.DecidePeriod = Duration(2 * time.Second)
	h := newHarness(t, cfg, e)
	ctx, cancel := context.WithCancel(context.Background())
	loopDone := make(chan error)
	go func() { loopDone <- h.domain().loop(ctx) }()
	deadline := time.After(10 * time.Second)
	for waiting := true; waiting; {
		select {
		case <-done:
			waiting = false
		case <-deadline:
			t.Fatalf("the loop did not reach a third decide; calls %v\nlog:\n%s", e.callList(), h.logs)
		case <-time.After(time.Millisecond):
			h.clock.Advance(time.Second)
		}
	}
	cancel()
	if err := <-loopDone; err != nil {
		t.Fatal(err)
	}
	if got := e.callList()[:4]; !cmp.Equal(got, []string{"initialize", "decide", "decide", "decide"}) {
		t.Errorf("engine calls %v", got)
	}
	for _, want := range []string{`"event":"decide_error"`, "engine trouble", `"event":"engine_panic"`, "engine bug"} {
		if !strings.Contains(h.logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, h.logs)
		}
	}
}

// timed-pulse-irregular changes the period, within the floor and ceiling.
func TestConfigurePulse(t *testing.T) {
	for _, tc := range []struct {
		ms   any
		want time.Duration
	}{{7000.0, 7 * time.Second}, {"2500", 2500 * time.Millisecond}, {10.0, time.Second}, {60000.0, 30 * time.Second}} {
		e := &scriptedEngine{decide: func(_ int, c engine.Control, _ *engine.State) error {
			return c.Configure(engine.Conf{"timed-pulse-irregular": tc.ms})
		}}
		cfg := testConfig(t.TempDir(), "scripted", nil)
		cfg.MaxDecidePeriod = Duration(30 * time.Second)
		h := newHarness(t, cfg, e)
		h.cycle()
		if got := h.domain().currentPeriod(); got != tc.want {
			t.Errorf("pulse %v: period %v; want %v", tc.ms, got, tc.want)
		}
	}
}

// A destroy of an instance stuck in TERMINATING is sent again; unknown
// ids are refused, the others still sent.
func TestDestroyTerminating(t *testing.T) {
	h := newHarness(t, testConfig(t.TempDir(), "scripted", nil), &scriptedEngine{decide: launchN(1)})
	h.cycle()
	id := h.ids(epu.Requesting)[0]
	h.push(id, epu.Terminating)
	d := h.domain()
	d.mu.Lock()
	err := d.control(context.Background()).Destroy("ghost", id)
	d.mu.Unlock()
	if !errors.Is(err, ErrUnknownInstance) {
		t.Errorf("destroy of an unknown id: %v; want ErrUnknownInstance", err)
	}
	d.flush(context.Background())
	if got := h.prov.terminated(); !cmp.Equal(got, []string{id}) {
		t.Fatalf("terminated %v; want %s asked again", got, id)
	}
}

// A configured decide_period is the period: the engine's is not applied,
// and the log says so; unset, the default is 5 s.
func TestDecidePeriodPinned(t *testing.T) {
	e := &scriptedEngine{decide: func(_ int, c engine.Control, _ *engine.State) error {
		return c.Configure(engine.Conf{"timed-pulse-irregular": 5000.0})
	}}
	cfg := testConfig(t.TempDir(), "scripted", nil)
	cfg.DecidePeriod = Duration(2 * time.Second)
	h := newHarness(t, cfg, e)
	h.cycle()
	if got := h.domain().currentPeriod(); got != 2*time.Second {
		t.Errorf("period %v; want the configured 2s", got)
	}
	if !strings.Contains(h.logs.String(), `"event":"decide_period","asked":"5s","period":"2s"`) {
		t.Errorf("no decide_period event saying the engine's period is not applied:\n%s", h.logs)
	}
	h2 := newHarness(t, testConfig(t.TempDir(), "scripted", nil), &scriptedEngine{})
	if got := h2.domain().currentPeriod(); got != DefaultDecidePeriod {
		t.Errorf("default period %v; want %v", got, DefaultDecidePeriod)
	}
}

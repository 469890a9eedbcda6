package controller

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// At start the controller asks the provisioner to dump the state of every
// stored instance before TERMINATED (and nothing without instances), with
// itself as forced subscriber; a REQUESTING instance is asked about, not
// launched again.
func TestRecovery(t *testing.T) {
	t.Run("without instances", func(t *testing.T) {
		h := newHarness(t, testConfig(t.TempDir(), "scripted", nil), &scriptedEngine{})
		h.restart()
		h.domain().flush(context.Background())
		if p, term, dump := h.prov.counts(); p+term+dump != 0 {
			t.Fatalf("calls at a start without instances: provision %d terminate %d dump %d; want none", p, term, dump)
		}
	})
	t.Run("with instances", func(t *testing.T) {
		h := newHarness(t, testConfig(t.TempDir(), "scripted", nil), &scriptedEngine{decide: launchN(6)})
		h.cycle()
		ids := h.ids(epu.Requesting)
		states := []epu.State{epu.Requesting, epu.Pending, epu.Running, epu.Terminating, epu.Terminated, epu.Failed}
		for i, s := range states[1:] {
			h.push(ids[i+1], s)
		}
		h.prov = &fakeProvisioner{}
		e := &scriptedEngine{}
		h.reg = engine.Builtin()
		h.reg.Register("scripted", func() engine.Engine { return e })
		h.restart()
		if got := e.callList(); !cmp.Equal(got, []string{"initialize"}) {
			t.Errorf("engine calls at start %v; want initialize", got)
		}
		h.domain().flush(context.Background())
		want := []epu.DumpStateRequest{{NodeIDs: ids[:4], ForceSubscribe: &h.self}}
		if d := cmp.Diff(want, h.prov.dumps); d != "" {
			t.Errorf("dump_state (-want +got):\n%s", d)
		}
		if len(h.prov.provisions) != 0 {
			t.Errorf("provisions at start %+v; want none (a REQUESTING instance is asked about, not launched again)", h.prov.provisions)
		}
		// Every stored instance is back, in its state.
		for i, s := range states {
			if got := h.instance(ids[i]).State; got != s {
				t.Errorf("instance %d recovered in %s; want %s", i, got, s)
			}
		}
	})
}

// A reconfiguration is persisted and merged over engine_conf at the next
// start: a restarted controller keeps its reconfigured N. An invalid one
// is refused, 400 naming the key, and nothing is persisted.
func TestReconfigurePersisted(t *testing.T) {
	cfg := testConfig(t.TempDir(), "npreserving", engine.Conf{"preserve_n": 1.0})
	h := newHarness(t, cfg, nil)
	c, _ := h.serve()
	ctx := context.Background()
	h.cycle()
	if p, _, _ := h.prov.counts(); p != 1 {
		t.Fatalf("provisions with preserve_n 1: %d", p)
	}
	err := func() error { _, err := c.Reconfigure(ctx, "d", engine.Conf{"preserve_n": "three"}); return err }()
	if ae := apiError(t, err); ae.Status != 400 || ae.Field != "preserve_n" {
		t.Fatalf("invalid reconfigure: %v; want 400 naming preserve_n", err)
	}
	if _, err := c.Reconfigure(ctx, "d", engine.Conf{"preserve_n": 3.0}); err != nil {
		t.Fatal(err)
	}
	h.cycle()
	running := h.ids(epu.Requesting)
	if len(running) != 3 {
		t.Fatalf("instances after reconfigure to 3: %v", running)
	}
	for _, id := range running {
		h.push(id, epu.Running)
	}
	h.restart()
	h.serve()
	h.cycle()
	h.cycle()
	if p, term, _ := h.prov.counts(); p != 3 || term != 0 {
		t.Fatalf("after a restart: provisions %d terminations %d; want 3 and 0 (N stays 3)", p, term)
	}
	ws := h.domain().wholeState()
	if !strings.Contains(*ws.DEConfReport, "preserves 3 instances") {
		t.Errorf("conf report after restart: %s", *ws.DEConfReport)
	}
	// The refused one left no trace: only one reconfiguration stored.
	s, err := h.c.env.store.load(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]engine.Conf{{"preserve_n": 3.0}}, s.reconfs); d != "" {
		t.Errorf("stored reconfigurations (-want +got):\n%s", d)
	}
}

// An unknown engine is a start error naming the key and the engines
// known; an engine refusing its configuration names the domain and key.
func TestStartErrors(t *testing.T) {
	cfg := testConfig(t.TempDir(), "npreservin", nil)
	_, err := New(cfg, Deps{Engines: engine.Builtin(), Provisioner: &fakeProvisioner{}})
	if !errors.Is(err, engine.ErrUnknownEngine) || !strings.Contains(err.Error(), "domains[0].engine") || !strings.Contains(err.Error(), "npreserving") {
		t.Fatalf("unknown engine: %v; want an error naming domains[0].engine and the known engines", err)
	}
	cfg = testConfig(t.TempDir(), "npreserving", engine.Conf{"preserve_n": -1.0})
	_, err = New(cfg, Deps{Engines: engine.Builtin(), Provisioner: &fakeProvisioner{}})
	if err == nil || !strings.Contains(err.Error(), `domain "d"`) || !strings.Contains(err.Error(), "preserve_n") {
		t.Fatalf("bad engine_conf: %v; want an error naming the domain and preserve_n", err)
	}
	// An engine panicking in initialize is an error, not a crash.
	reg := engine.Builtin()
	reg.Register("broken", func() engine.Engine { return &panicky{} })
	_, err = New(testConfig(t.TempDir(), "broken", nil), Deps{Engines: reg, Provisioner: &fakeProvisioner{}})
	if err == nil || !strings.Contains(err.Error(), "initialize panicked: no conf") {
		t.Fatalf("panicking initialize: %v", err)
	}
}

// Each resync_period the domain asks dump_state of the instances the
// provisioner acknowledged and that are not TERMINATED, leaving out those
// whose provision call is still owed.
func TestResync(t *testing.T) {
	e := &scriptedEngine{decide: launchN(1)}
	h := newHarness(t, testConfig(t.TempDir(), "scripted", nil), e)
	h.cycle() // a: provisioned
	h.cycle() // b: provisioned
	ids := h.ids(epu.Requesting)
	h.push(ids[0], epu.Running)
	h.push(ids[1], epu.Terminated)
	h.prov.setFail(true)
	h.cycle() // c: its provision call failed, still owed
	h.prov.setFail(false)
	d := h.domain()
	d.queueResync()
	h.prov.dumps = nil
	d.flush(context.Background())
	if d := cmp.Diff([]epu.DumpStateRequest{{NodeIDs: ids[:1], ForceSubscribe: &h.self}}, h.prov.dumps); d != "" {
		t.Errorf("resync dump_state (-want +got):\n%s", d)
	}
}

// panicky is an engine that panics in Initialize.
type panicky struct{ scriptedEngine }

func (*panicky) Initialize(engine.Control, *engine.State, engine.Conf) error { panic("no conf") }

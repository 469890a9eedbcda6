package controller

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// listingProvisioner is a fakeProvisioner that lists its nodes.
type listingProvisioner struct {
	*fakeProvisioner
	mu    sync.Mutex
	nodes []epu.Node
	err   error
}

func (l *listingProvisioner) Nodes(context.Context) ([]epu.Node, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.nodes, l.err
}

// A controller started with an empty store adopts the provisioner's nodes
// marked as its domain's before its first decide, and does not decide
// while it cannot list them.
func TestAdoptAfterStateLoss(t *testing.T) {
	mine := func(id string, s epu.State, extra map[string]string) epu.Node {
		vars := map[string]string{"node_id": id, "heartbeat_dest": "http://old:1", VarController: "epu-test", VarDomain: "d", "shared": "pv"}
		for k, v := range extra {
			vars[k] = v
		}
		return epu.Node{NodeID: id, LaunchID: "l-" + id, State: s, IaaSID: "i-" + id, Vars: vars}
	}
	other := mine("x", epu.Running, nil)
	other.Vars[VarDomain] = "elsewhere"
	lp := &listingProvisioner{fakeProvisioner: &fakeProvisioner{}, err: errors.New("provisioner unreachable")}
	lp.nodes = []epu.Node{mine("a", epu.Running, map[string]string{"unique": "1"}), mine("b", epu.Pending, nil), mine("c", epu.Terminated, nil), other}

	cfg := testConfig(t.TempDir(), "npreserving", engine.Conf{"preserve_n": 2.0, "provisioner_vars": map[string]any{"shared": "pv"}})
	h := &harness{t: t, cfg: cfg, clock: newFakeClock(), prov: lp.fakeProvisioner, reg: engine.Builtin(), logs: &syncBuffer{}}
	c, err := New(cfg, Deps{Engines: h.reg, Provisioner: lp, Clock: h.clock, Logger: slog.New(slog.NewJSONHandler(h.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.env.self = epu.Subscriber{Service: "epu-test", URL: "http://new:2"}
	h.c = c
	d := h.domain()
	ctx := context.Background()
	if d.tryAdopt(ctx) {
		t.Fatal("adoption succeeded while the provisioner could not be listed")
	}
	lp.mu.Lock()
	lp.err = nil
	lp.mu.Unlock()
	if !d.tryAdopt(ctx) {
		t.Fatal("adoption failed")
	}
	if got := h.ids(epu.States...); !cmp.Equal(got, []string{"a", "b"}) {
		t.Fatalf("adopted %v; want a and b (c ended, x another domain's)", got)
	}
	if got := h.instance("a").Extravars; !cmp.Equal(got, map[string]string{"unique": "1"}) {
		t.Errorf("extravars of a %v; want only unique", got)
	}
	h.cycle()
	if p, term, dump := h.prov.counts(); p != 0 || term != 0 || dump != 1 {
		t.Fatalf("after the first decide: provisions %d terminations %d dumps %d; want 0, 0, 1 (the pool kept)", p, term, dump)
	}
	if d.tryAdopt(ctx) && d.needsAdoption() {
		t.Error("adoption owed again")
	}
}

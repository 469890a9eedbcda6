package provisioner

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
)

// TestConcurrentAdmission: requests stored concurrently (their records
// written after the decision, sharing transactions) still hold max_nodes
// exactly, and the same launch asked twice at once is stored once and
// admitted or refused the same to both (the later answer may find it in
// a later state).
func TestConcurrentAdmission(t *testing.T) {
	const maxNodes, launches = 5, 24
	h := newHarness(t, func(c *Config) { c.MaxNodes = maxNodes })
	h.start()
	// A client of its own: connections it dialed and never used would
	// hold the server's shutdown for its 5 s grace.
	tr := &http.Transport{}
	h.client.API.HTTP = &http.Client{Transport: tr}
	t.Cleanup(tr.CloseIdleConnections) // before h.stop (cleanups run last first)
	ctx := context.Background()
	type answer struct {
		launch  string
		refused string // the state_desc of a REJECTED launch
	}
	answers := make([][2]answer, launches)
	errs := make(chan error, 2*launches)
	var wg sync.WaitGroup
	for i := range launches {
		for k := range 2 { // each launch asked twice at once
			wg.Add(1)
			go func() {
				defer wg.Done()
				lid := fmt.Sprintf("l%02d", i)
				res, err := h.client.Provision(ctx, epu.ProvisionRequest{LaunchID: lid, DeployableType: "sleeper", NodeIDs: []string{"n-" + lid}})
				if err != nil {
					errs <- fmt.Errorf("provision %s: %w", lid, err)
					return
				}
				answers[i][k] = answer{launch: res.Launch.LaunchID}
				if res.Launch.State == epu.Rejected {
					answers[i][k].refused = res.Launch.StateDesc
				} else if res.Launch.State.After(epu.Running) {
					errs <- fmt.Errorf("provision %s: %s %q", lid, res.Launch.State, res.Launch.StateDesc)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	admitted := 0
	for i, a := range answers {
		if diff := cmp.Diff(a[0], a[1], cmp.AllowUnexported(answer{})); diff != "" {
			t.Errorf("launch l%02d answered differently to the same request (-first +second):\n%s", i, diff)
		}
		switch {
		case a[0].refused == "":
			admitted++
		case !strings.HasPrefix(a[0].refused, ReasonMaxNodes):
			t.Errorf("launch l%02d: REJECTED %q, want %s", i, a[0].refused, ReasonMaxNodes)
		}
	}
	if admitted != maxNodes {
		t.Errorf("%d launches admitted, want max_nodes = %d", admitted, maxNodes)
	}
	ls, err := h.p.store.Launches(ctx)
	if err != nil || len(ls) != launches {
		t.Errorf("%d launches stored (%v), want %d, each once", len(ls), err, launches)
	}
	var ids []string
	for i, a := range answers {
		if a[0].refused == "" {
			ids = append(ids, fmt.Sprintf("n-l%02d", i))
		}
	}
	h.waitState(epu.Pending, ids...)
	if n := len(h.live()); n != maxNodes {
		t.Errorf("%d live instances, want %d", n, maxNodes)
	}
	if n := len(h.events(evNewNode)); n != maxNodes {
		t.Errorf("%d %s events, want %d", n, evNewNode, maxNodes)
	}
}

// TestBeingStored: while a REQUESTED launch's records are being written
// (decided, not yet committed), another launch naming one of its nodes
// is refused, terminate_all is not done (the launch may get an instance
// once stored) and max_nodes counts its nodes; once written, it counts
// once.
func TestBeingStored(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxNodes = 2 })
	h.start()
	ctx := context.Background()
	l := launchRec{Launch: epu.Launch{LaunchID: "x", State: epu.Requested, NodeIDs: []string{"a"}}}
	h.p.provMu.Lock()
	a := h.p.admit1(l, []nodeRec{{Node: epu.Node{NodeID: "a", LaunchID: "x"}}})
	h.p.provMu.Unlock()

	_, err := h.client.Provision(ctx, epu.ProvisionRequest{LaunchID: "y", DeployableType: "sleeper", NodeIDs: []string{"a"}})
	if !api.IsStatus(err, 409) {
		t.Errorf("a node of a launch being stored, asked by another launch: %v, want 409", err)
	}
	if r := h.provision("z", "b", "c"); r.Launch.State != epu.Rejected || !strings.HasPrefix(r.Launch.StateDesc, ReasonMaxNodes) {
		t.Errorf("two nodes more with one being stored and max_nodes 2: %s %q, want REJECTED %s", r.Launch.State, r.Launch.StateDesc, ReasonMaxNodes)
	}
	res, err := h.client.TerminateAll(ctx)
	if err != nil || res.Done || res.Remaining != 1 {
		t.Errorf("terminate_all while a REQUESTED launch is being stored: %+v %v, want not done, 1 remaining", res, err)
	}
	h.p.admitted("x", a)
	res, err = h.client.TerminateAll(ctx)
	if err != nil || !res.Done || res.Remaining != 0 {
		t.Errorf("terminate_all once nothing is being stored: %+v %v, want done", res, err)
	}
}

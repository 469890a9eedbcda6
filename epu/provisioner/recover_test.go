package provisioner

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/google/go-cmp/cmp"
)

// TestRecoverRequestedLaunch: a 3-node launch left REQUESTED by a crash,
// two of its nodes with a launch intent whose instances the cloud made
// (the answers lost), is re-executed at start with the same client
// tokens: the cloud then has exactly 3 instances of the run (FindByRun),
// the nodes PENDING with those instances, the launch PENDING (reference
// §2.7).
func TestRecoverRequestedLaunch(t *testing.T) {
	h := newHarness(t, nil)
	p := h.offline()
	ctx := context.Background()
	if _, err := p.Provision(ctx, epu.ProvisionRequest{LaunchID: "l1", DeployableType: "sleeper", NodeIDs: []string{"n1", "n2", "n3"}}); err != nil {
		t.Fatal(err)
	}
	l, _ := p.store.Launch(ctx, "l1")
	drv, _ := p.drivers.get("fake")
	made := map[string]string{}
	for _, id := range []string{"n1", "n2"} {
		n, _, _ := p.store.UpdateNode(ctx, id, func(r *nodeRec) bool { r.Cloud = cloudIntent; return true })
		inst, err := drv.Launch(ctx, p.spec(l, n, h.cfg.DeployableTypes["sleeper"]))
		if err != nil {
			t.Fatal(err)
		}
		made[id] = inst.ID
	}
	p.Close()
	h.start()
	h.waitState(epu.Pending, "n1", "n2", "n3")
	live := h.liveIDs()
	if len(live) != 3 {
		t.Fatalf("cloud has %d instances of the run, want 3: %v", len(live), live)
	}
	var recorded []string
	for _, id := range []string{"n1", "n2", "n3"} {
		n := h.node(id)
		recorded = append(recorded, n.IaaSID)
		if want, ok := made[id]; ok && n.IaaSID != want {
			t.Errorf("%s recorded %s, want the instance the cloud made before the crash, %s", id, n.IaaSID, want)
		}
	}
	slices.Sort(recorded)
	if diff := cmp.Diff(live, recorded); diff != "" {
		t.Errorf("recorded instances vs the cloud's (-cloud +recorded):\n%s", diff)
	}
	h.waitFor("launch PENDING", func() bool {
		st, _ := h.client.State(ctx)
		return st.Launches[0].State == epu.Pending
	})
}

// TestRecoverTerminating: a node left TERMINATING by a crash has exactly
// its instance destroyed at start; a launch left TERMINATING has its live
// nodes destroyed and all of them TERMINATED (reference §2.7).
func TestRecoverTerminating(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	h.toRunning("single", "s1", "s2")
	h.toRunning("whole", "w1", "w2", "w3")
	h.stop()
	ctx := context.Background()
	p := h.offline()
	keep, _ := p.store.Node(ctx, "s2")
	p.store.UpdateNode(ctx, "s1", func(r *nodeRec) bool { return r.setState(epu.Terminating, "", p.clock.Now()) })
	// w3 had been terminated before; the crash came while terminating the launch.
	p.store.UpdateLaunch(ctx, "whole", func(r *launchRec) bool { return r.setState(epu.Terminating, "") })
	for _, id := range []string{"w1", "w2"} {
		p.store.UpdateNode(ctx, id, func(r *nodeRec) bool { return r.setState(epu.Terminating, "", p.clock.Now()) })
	}
	w3, _ := p.store.Node(ctx, "w3")
	drv, _ := p.drivers.get("fake")
	drv.Terminate(ctx, refOf(w3))
	p.store.UpdateNode(ctx, "w3", func(r *nodeRec) bool {
		r.Cloud = cloudGone
		return r.setState(epu.Terminated, "", p.clock.Now())
	})
	p.Close()
	h.start()
	h.waitState(epu.Terminated, "s1", "w1", "w2", "w3")
	if diff := cmp.Diff([]string{keep.IaaSID}, h.liveIDs()); diff != "" {
		t.Errorf("live instances (-want +got):\n%s", diff)
	}
	h.waitFor("launch whole TERMINATED", func() bool {
		st, _ := h.client.State(ctx)
		for _, l := range st.Launches {
			if l.LaunchID == "whole" {
				return l.State == epu.Terminated
			}
		}
		return false
	})
}

// TestDisappeared: a PENDING node absent from the cloud is left alone 30 s
// after its pending time (no change, nothing pushed) and FAILED
// NODE_DISAPPEARED after 60 s; a TERMINATING node absent becomes
// TERMINATED.
func TestDisappeared(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	ctx := context.Background()
	h.provision("l1", "a", "b")
	h.waitState(epu.Pending, "a", "b")
	// The instances vanish behind the provisioner's back (a fresh fake
	// cloud directory: the records are gone).
	h.stop()
	p := h.offline()
	p.store.UpdateNode(ctx, "b", func(r *nodeRec) bool { return r.setState(epu.Terminating, "", p.clock.Now()) })
	p.Close()
	h.cfg.IaaSStateDir = t.TempDir()
	h.start()
	h.waitState(epu.Terminated, "b") // the terminator's or the query's doing: absent is gone
	before := len(h.node("a").StateChanges)
	h.clock.Advance(30 * time.Second)
	h.query()
	if a := h.node("a"); a.State != epu.Pending || len(a.StateChanges) != before {
		t.Fatalf("a after 30 s absent: %s (%d changes), want PENDING unchanged", a.State, len(a.StateChanges))
	}
	h.clock.Advance(31 * time.Second)
	h.query()
	a := h.node("a")
	if a.State != epu.Failed || a.StateDesc[:len(ReasonDisappeared)] != ReasonDisappeared {
		t.Errorf("a after 61 s absent: %s %q, want FAILED %s", a.State, a.StateDesc, ReasonDisappeared)
	}
}

// TestQueryStartedOnce: a running instance makes its node STARTED with
// its addresses at the first query; a second query changes nothing and
// emits no second node_started.
func TestQueryStartedOnce(t *testing.T) {
	h := newHarness(t, nil)
	h.ctxz = failingCtx{block: map[string]bool{"a": true}} // stays STARTED
	h.start()
	h.provision("l1", "a")
	h.waitState(epu.Pending, "a")
	h.clock.Advance(5 * time.Second)
	h.query()
	a := h.node("a")
	if a.State != epu.Started || a.PublicIP == "" || a.Hostname == "" {
		t.Fatalf("after the first query: %+v", a)
	}
	h.query()
	if b := h.node("a"); len(b.StateChanges) != len(a.StateChanges) || len(h.events(evNodeStarted)) != 1 {
		t.Errorf("second query: %d changes (was %d), %d node_started events; want no change, 1 event",
			len(b.StateChanges), len(a.StateChanges), len(h.events(evNodeStarted)))
	}
}

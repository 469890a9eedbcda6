package provisioner

import (
	"context"
	"strings"
	"testing"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/google/go-cmp/cmp"
)

// TestTerminateNodes: a RUNNING node's instance is destroyed (checked
// through the driver) and the node goes TERMINATING → TERMINATED; the
// other node keeps its instance; an unknown id gets a stub TERMINATED
// record (reference §5.2 6).
func TestTerminateNodes(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	h.toRunning("l1", "n1", "n2")
	keep := h.node("n2").IaaSID
	got, err := h.client.TerminateNodes(context.Background(), "n1", "ghost")
	if err != nil {
		t.Fatal(err)
	}
	if got[0].State != epu.Terminating && got[0].State != epu.Terminated {
		t.Errorf("n1 answered %s, want TERMINATING or TERMINATED", got[0].State)
	}
	if got[1].State != epu.Terminated || !strings.HasPrefix(got[1].StateDesc, ReasonUnknownNode) {
		t.Errorf("ghost answered %s %q, want a TERMINATED stub", got[1].State, got[1].StateDesc)
	}
	h.waitState(epu.Terminated, "n1")
	if diff := cmp.Diff([]string{keep}, h.liveIDs()); diff != "" {
		t.Errorf("live instances (-want +got):\n%s", diff)
	}
	var states []epu.State
	for _, c := range h.node("n1").StateChanges {
		states = append(states, c.State)
	}
	want := []epu.State{epu.Requested, epu.Pending, epu.Started, epu.Running, epu.Terminating, epu.Terminated}
	if diff := cmp.Diff(want, states); diff != "" {
		t.Errorf("n1 history (-want +got):\n%s", diff)
	}
}

// TestTerminateBeforeLaunch: a node terminated while its launch waits
// (here: back-off) never reaches the cloud and is TERMINATED at once.
func TestTerminateBeforeLaunch(t *testing.T) {
	h := newHarness(t, nil)
	p := h.offline()
	if _, err := p.Provision(context.Background(), epu.ProvisionRequest{LaunchID: "l1", DeployableType: "sleeper", NodeIDs: []string{"n1"}}); err != nil {
		t.Fatal(err)
	}
	got, err := p.TerminateNodes(context.Background(), []string{"n1"})
	if err != nil || got[0].State != epu.Terminated || got[0].StateDesc != ReasonNeverLaunched {
		t.Fatalf("terminate of a REQUESTED node: %+v %v", got, err)
	}
	p.Close()
	h.start()
	h.waitFor("launch l1 settled", func() bool {
		st, _ := h.client.State(context.Background())
		return len(st.Launches) == 1 && st.Launches[0].State != epu.Requested
	})
	if n := len(h.live()); n != 0 {
		t.Errorf("%d instances launched for a node terminated before its launch", n)
	}
}

// TestTerminateAll: over a RUNNING launch (3), a PENDING launch (3) and a
// TERMINATED launch (3), terminate_all destroys the 6 live instances,
// leaves 9 nodes and 3 launches TERMINATED, answers false while work
// remains and true after; provisioning stays disabled across a restart
// (REJECTED PROVISIONER_DISABLED) until enable (reference §2.7).
func TestTerminateAll(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	ctx := context.Background()
	h.toRunning("run", "r1", "r2", "r3")
	h.toRunning("gone", "g1", "g2", "g3")
	if _, err := h.client.TerminateLaunches(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	h.waitState(epu.Terminated, "g1", "g2", "g3")
	h.provision("pend", "p1", "p2", "p3")
	h.waitState(epu.Pending, "p1", "p2", "p3")
	if n := len(h.live()); n != 6 {
		t.Fatalf("%d live instances before terminate_all, want 6", n)
	}
	var res epu.TerminateAllResult
	var calls int
	h.waitFor("terminate_all done", func() bool {
		var err error
		res, err = h.client.TerminateAll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		calls++
		return res.Done
	})
	if n := len(h.live()); n != 0 {
		t.Errorf("%d live instances after terminate_all said done", n)
	}
	st, err := h.client.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range st.Nodes {
		if n.State != epu.Terminated {
			t.Errorf("node %s is %s, want TERMINATED", n.NodeID, n.State)
		}
	}
	for _, l := range st.Launches {
		if l.State != epu.Terminated {
			t.Errorf("launch %s is %s, want TERMINATED", l.LaunchID, l.State)
		}
	}
	if len(st.Nodes) != 9 || !st.Disabled {
		t.Errorf("%d nodes, disabled %v; want 9, true", len(st.Nodes), st.Disabled)
	}
	h.restart()
	res2 := h.provision("late", "x1")
	if res2.Launch.State != epu.Rejected || !strings.HasPrefix(res2.Launch.StateDesc, ReasonDisabled) || res2.Nodes[0].State != epu.Rejected {
		t.Errorf("provision after terminate_all and a restart: %+v", res2)
	}
	if err := h.client.Enable(ctx); err != nil {
		t.Fatal(err)
	}
	if res3 := h.provision("again", "y1"); res3.Launch.State != epu.Requested {
		t.Errorf("provision after enable: %s", res3.Launch.State)
	}
}

// TestTerminateAllFirstFalse: terminate_all answers false while an
// instance may exist (the terminator has not run: its first answer), then
// true; a FAILED node whose launch answer was lost (an intent, the
// instance made by the cloud) counts until the instance, found by its
// client token, is destroyed.
func TestTerminateAllFirstFalse(t *testing.T) {
	h := newHarness(t, nil)
	p := h.offline()
	ctx := context.Background()
	if _, err := p.Provision(ctx, epu.ProvisionRequest{LaunchID: "l1", DeployableType: "sleeper", NodeIDs: []string{"n1"}}); err != nil {
		t.Fatal(err)
	}
	n, _ := p.store.Node(ctx, "n1")
	l, _ := p.store.Launch(ctx, "l1")
	// The cloud made the instance; the answer was lost and the node failed.
	drv, _ := p.drivers.get("fake")
	if _, err := drv.Launch(ctx, p.spec(l, n, h.cfg.DeployableTypes["sleeper"])); err != nil {
		t.Fatal(err)
	}
	p.store.UpdateNode(ctx, "n1", func(r *nodeRec) bool {
		r.Cloud = cloudIntent
		return r.setState(epu.Failed, ReasonIaaS+": connection reset", p.clock.Now())
	})
	p.store.UpdateLaunch(ctx, "l1", func(r *launchRec) bool { return r.setState(epu.Failed, "x") })
	res, err := p.TerminateAll(ctx) // not running: nothing can be destroyed yet
	if err != nil || res.Done || res.Remaining != 1 {
		t.Fatalf("terminate_all with a FAILED node whose instance exists = %+v, %v; want done false, 1 remaining", res, err)
	}
	p.Close()
	if n := len(h.live()); n != 1 {
		t.Fatalf("%d live instances, want the lost one", n)
	}
	h.start()
	h.waitFor("terminate_all done", func() bool {
		res, err := h.client.TerminateAll(ctx)
		return err == nil && res.Done
	})
	if n := len(h.live()); n != 0 {
		t.Errorf("%d live instances after terminate_all said done", n)
	}
}

// TestTerminatorSkipsSettledNode: a node the query pass found gone
// between the terminator's read and its write (TERMINATED, no instance)
// is not written again: its subscriber gets TERMINATED once.
func TestTerminatorSkipsSettledNode(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	ctx := context.Background()
	sub := newSubscriber(t, "epu-sleeper")
	_, err := h.client.Provision(ctx, epu.ProvisionRequest{LaunchID: "l1", DeployableType: "sleeper",
		NodeIDs: []string{"a", "b"}, Subscribers: []epu.Subscriber{sub.sub()}})
	if err != nil {
		t.Fatal(err)
	}
	h.waitState(epu.Pending, "a", "b")
	stale, err := h.p.store.Node(ctx, "a") // what the terminator read
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.p.updateNode(ctx, "a", func(r *nodeRec) bool { // what the query pass wrote
		r.Cloud = cloudGone
		return r.setState(epu.Terminated, "", h.clock.Now())
	}); err != nil {
		t.Fatal(err)
	}
	if err := h.p.terminateOn(ctx, stale.Driver, []nodeRec{stale}); err != nil {
		t.Fatal(err)
	}
	// b's TERMINATED is pushed after anything terminateOn queued for a.
	if _, err := h.client.TerminateNodes(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("b's TERMINATED pushed", func() bool { return sub.has("b", epu.Terminated) })
	n := 0
	for _, s := range sub.states("a") {
		if s == epu.Terminated {
			n++
		}
	}
	if n != 1 {
		t.Errorf("a's TERMINATED pushed %d times, want once (pushed: %v)", n, sub.states("a"))
	}
	if live := h.liveIDs(); len(live) != 0 {
		t.Errorf("live instances %v, want none", live)
	}
}

package provisioner

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
)

// TestCapacityBackoff: a launch refused for capacity fails its node
// IAAS_CAPACITY and its launch; launches of that type and site then wait
// (state_desc BACKOFF, no cloud call) for the back-off (5 minutes by
// default) and go on after it.
func TestCapacityBackoff(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		dt := c.DeployableTypes["sleeper"]
		dt.Options[fake.KeyCapacity] = "2"
		c.DeployableTypes["sleeper"] = dt
	})
	h.start()
	ctx := context.Background()
	h.provision("l1", "a", "b")
	h.waitState(epu.Pending, "a", "b")
	h.provision("l2", "c")
	h.waitState(epu.Failed, "c")
	c := h.node("c")
	if !strings.HasPrefix(c.StateDesc, ReasonCapacity) {
		t.Errorf("c: %q, want %s", c.StateDesc, ReasonCapacity)
	}
	h.waitFor("launch l2 FAILED", func() bool {
		st, _ := h.client.State(ctx)
		return len(st.Launches) == 2 && st.Launches[1].State == epu.Failed
	})
	if len(h.events(evBackoff)) != 1 || len(h.events(evLaunchFailed)) != 1 {
		t.Errorf("events: %d launch_backoff, %d launch_failed; want 1 each", len(h.events(evBackoff)), len(h.events(evLaunchFailed)))
	}
	if _, err := h.client.TerminateNodes(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	h.waitState(epu.Terminated, "a")
	h.provision("l3", "d")
	h.waitFor("d waiting for the back-off", func() bool { return strings.HasPrefix(h.node("d").StateDesc, "BACKOFF") })
	if n := len(h.live()); n != 1 || h.node("d").State != epu.Requested {
		t.Fatalf("%d live instances while d backs off (%s), want 1", n, h.node("d").State)
	}
	h.clock.Advance(DefaultCapacityBackoff)
	h.waitState(epu.Pending, "d")
	if n := len(h.live()); n != 2 {
		t.Errorf("%d live instances after the back-off, want 2", n)
	}
}

// failingCtx fails the contextualization of the nodes it names and
// blocks (until its context ends) on those in block.
type failingCtx struct {
	fail, block map[string]bool
}

func (f failingCtx) Contextualize(ctx context.Context, n epu.Node, _ iaas.Instance, _ DeployableType) error {
	if f.fail[n.NodeID] {
		return errCtx
	}
	if f.block[n.NodeID] {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

// TestContextualization: a node whose contextualization fails becomes
// RUNNING_FAILED CTX_ERROR with the reason; one that does not finish
// within context_timeout (on the provisioner's clock) RUNNING_FAILED
// CTX_TIMEOUT; the others RUNNING. The launch stays PENDING.
func TestContextualization(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.ContextTimeout = Duration(time.Minute) })
	h.ctxz = failingCtx{fail: map[string]bool{"bad": true}, block: map[string]bool{"slow": true}}
	h.start()
	h.provision("l1", "ok", "bad", "slow")
	h.waitState(epu.Pending, "ok", "bad", "slow")
	h.clock.Advance(5 * time.Second)
	h.query()
	h.waitState(epu.Running, "ok")
	h.waitState(epu.RunningFailed, "bad")
	if d := h.node("bad").StateDesc; !strings.HasPrefix(d, ReasonCtxError) || !strings.Contains(d, errCtx.Error()) {
		t.Errorf("bad: %q", d)
	}
	if !h.is("slow", epu.Started) {
		t.Fatalf("slow is %s before the timeout, want STARTED", h.node("slow").State)
	}
	h.advanceUntil("slow timed out", 10*time.Second, func() bool { return h.is("slow", epu.RunningFailed) })
	if d := h.node("slow").StateDesc; !strings.HasPrefix(d, ReasonCtxTimeout) {
		t.Errorf("slow: %q", d)
	}
	st, _ := h.client.State(context.Background())
	if st.Launches[0].State != epu.Pending {
		t.Errorf("launch %s, want PENDING", st.Launches[0].State)
	}
}

// TestPermanentLaunchError: a launch the cloud refuses (a bad driver
// option: ErrPermanent, as bad credentials are) fails the node with the
// reason and the launch, the subscriber sees FAILED; nothing is left that
// may exist.
func TestPermanentLaunchError(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		dt := c.DeployableTypes["sleeper"]
		dt.Options[fake.KeyRunningDelay] = "soon"
		c.DeployableTypes["sleeper"] = dt
	})
	h.start()
	sub := newSubscriber(t, "epu-sleeper")
	if _, err := h.client.Provision(context.Background(), epu.ProvisionRequest{LaunchID: "l1", DeployableType: "sleeper",
		NodeIDs: []string{"a", "b"}, Subscribers: []epu.Subscriber{sub.sub()}}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("a and b FAILED", func() bool { return h.is("a", epu.Failed) && h.is("b", epu.Failed) })
	h.waitFor("the subscriber told", func() bool { return sub.has("a", epu.Failed) && sub.has("b", epu.Failed) })
	for _, id := range []string{"a", "b"} {
		if d := h.node(id).StateDesc; !strings.Contains(d, "fake_running_delay") {
			t.Errorf("%s: %q, want the cloud's reason", id, d)
		}
	}
	h.waitFor("terminate_all done", func() bool {
		res, err := h.client.TerminateAll(context.Background())
		return err == nil && res.Done && res.Remaining == 0
	})
}

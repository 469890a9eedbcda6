package provisioner

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
)

// TestProvisionToRunning: a launch of 3 nodes goes REQUESTED → PENDING
// (one instance each, tagged) → STARTED at the first query after the
// cloud runs them → RUNNING (dry-run contextualization); the launch
// RUNNING. The instances are checked through the driver.
func TestProvisionToRunning(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	res := h.provision("l1", "n1", "n2", "n3")
	if res.Launch.State != epu.Requested {
		t.Fatalf("launch state %s, want REQUESTED", res.Launch.State)
	}
	h.waitState(epu.Pending, "n1", "n2", "n3")
	live := h.live()
	if len(live) != 3 {
		t.Fatalf("cloud has %d live instances, want 3", len(live))
	}
	for _, in := range live {
		if in.Owner != "provisioner" || in.Run != testRun || in.Tags[TagLaunch] != "l1" || in.Tags[TagDeployableType] != "sleeper" {
			t.Errorf("instance %s: owner %q run %v tags %v", in.ID, in.Owner, in.Run, in.Tags)
		}
	}
	h.clock.Advance(5 * time.Second)
	h.query()
	h.waitState(epu.Running, "n1", "n2", "n3")
	h.waitFor("launch l1 RUNNING", func() bool {
		st, err := h.client.State(context.Background())
		return err == nil && len(st.Launches) == 1 && st.Launches[0].State == epu.Running
	})
	if got := len(h.events(evNodeStarted)); got != 3 {
		t.Errorf("%d node_started events, want 3", got)
	}
}

// TestLaunchAnsweredRunning: a launch the cloud answers running goes
// PENDING and STARTED in one step (no query needed), both events written
// in order, then RUNNING.
func TestLaunchAnsweredRunning(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		dt := c.DeployableTypes["sleeper"]
		dt.Options["fake_running_delay"] = "0"
		c.DeployableTypes["sleeper"] = dt
	})
	h.start()
	h.provision("l1", "a")
	h.waitState(epu.Running, "a")
	var states []epu.State
	for _, c := range h.node("a").StateChanges {
		states = append(states, c.State)
	}
	if want := []epu.State{epu.Requested, epu.Pending, epu.Started, epu.Running}; !slices.Equal(states, want) {
		t.Errorf("history %v, want %v", states, want)
	}
	if len(h.events(evNewNode)) != 1 || len(h.events(evNodeStarted)) != 1 {
		t.Errorf("%d new_node, %d node_started events; want 1 each", len(h.events(evNewNode)), len(h.events(evNodeStarted)))
	}
}

package provisioner

import (
	"context"
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

package provisioner

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/iaas"
)

// shutdownRecorder is a dry-run contextualizer that records the shutdown
// programs it is asked to run, with the instance's state then; hang makes
// them wait for their context.
type shutdownRecorder struct {
	DryRunContextualizer
	mu    sync.Mutex
	calls []string // node id: instance state
	hang  bool
}

func (r *shutdownRecorder) RunShutdown(ctx context.Context, n epu.Node, inst iaas.Instance, dt DeployableType) error {
	r.mu.Lock()
	r.calls = append(r.calls, n.NodeID+": "+inst.State.String()+" "+dt.TerminatePgm)
	r.mu.Unlock()
	if r.hang {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func (r *shutdownRecorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

var _ ShutdownRunner = (*shutdownRecorder)(nil)

// A node whose deployable type has a terminatepgm gets it run on its
// still-running instance before the termination; a type without one does
// not; a program that hangs is cut at shutdown_timeout, logged, and the
// node terminated all the same.
func TestShutdownPrograms(t *testing.T) {
	for _, hang := range []bool{false, true} {
		h := newHarness(t, func(c *Config) {
			dt := c.DeployableTypes["sleeper"]
			plain := dt
			dt.TerminatePgm = "hooks.sh"
			c.DeployableTypes["sleeper"], c.DeployableTypes["plain"] = dt, plain
			c.ShutdownTimeout = Duration(200 * time.Millisecond)
		})
		rec := &shutdownRecorder{hang: hang}
		h.ctxz = rec
		h.start()
		h.toRunning("l1", "n1")
		if _, err := h.client.Provision(context.Background(), epu.ProvisionRequest{LaunchID: "l2", DeployableType: "plain", NodeIDs: []string{"n2"}}); err != nil {
			t.Fatal(err)
		}
		h.waitState(epu.Pending, "n2")
		h.clock.Advance(5 * time.Second)
		h.query()
		h.waitState(epu.Running, "n2")
		if _, err := h.client.TerminateNodes(context.Background(), "n1", "n2"); err != nil {
			t.Fatal(err)
		}
		h.waitState(epu.Terminated, "n1", "n2")
		if diff := cmp.Diff([]string{"n1: running hooks.sh"}, rec.got()); diff != "" {
			t.Errorf("hang %v: shutdown programs (-want +got):\n%s", hang, diff)
		}
		if n := len(h.live()); n != 0 {
			t.Errorf("hang %v: %d instances left", hang, n)
		}
		if failed := len(h.events("shutdown_program_failed")); (failed == 1) != hang {
			t.Errorf("hang %v: %d shutdown_program_failed events", hang, failed)
		}
		h.stop()
	}
}

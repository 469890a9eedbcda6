package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// TestAutoscaleRestartKeepsAttributesLocal: on the local driver, with an
// agent on every worker, a worker with the KeepAlive attribute and a worker
// whose stop was refused (demand held) keep both through a restart of the
// controller, which forgets the targets: the restarted controller refuses
// the KeepAlive worker's stop and terminates the worker that asked (no
// target holds any more), and the third worker, which never asked, stays.
// Checked against the driver's live instances. Before the fix the
// restarted controller granted the KeepAlive worker's stop and never
// terminated the worker that had asked.
func TestAutoscaleRestartKeepsAttributesLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("boots local-driver workers")
	}
	e := startE2EProvisioner(t)
	c := e.startProgramController(e.controllerConf([]map[string]any{{"name": "auto", "deployable_type": "worker",
		"engine": "autoscale", "max_size": 4, "monitor_health": true, "health_boot_timeout": "120s",
		"health_missing_timeout": "10s", "engine_conf": map[string]any{"expiration_interval": "10m"}}}))
	ctx := context.Background()
	three := 3
	if _, err := e.admin.Autoscale(ctx, "auto", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", TargetCount: &three}}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Minute, "3 workers running and heard", func() bool {
		return len(e.running("auto")) == 3 && len(e.live()) == 3
	})
	ids := e.running("auto")
	slices.Sort(ids)
	kept, asker, other := ids[0], ids[1], ids[2]
	ws, err := e.admin.WholeState(ctx, "auto")
	if err != nil {
		t.Fatal(err)
	}
	iaasID := func(node string) string { return ws.Instances[node].IaaSID }
	keep := true
	if _, err := e.admin.Autoscale(ctx, "auto", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{},
		Nodes: []engine.NodeAttributes{{NodeID: kept, KeepAlive: &keep}}}); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := e.node(ctx, asker, "shutdown"); code != 1 || !strings.Contains(errs, "demand holds") {
		t.Fatalf("a stop while the target of 3 holds: exit %d, %s; want refused (1)", code, errs)
	}

	c.stop()
	c.start()
	if code, _, errs := e.node(ctx, kept, "shutdown"); code != 1 || !strings.Contains(errs, "KeepAlive") {
		t.Errorf("the KeepAlive worker's stop after the restart: exit %d, %s; want refused for KeepAlive", code, errs)
	}
	liveIDs := func() []string {
		var out []string
		for _, in := range e.live() {
			out = append(out, in.ID)
		}
		slices.Sort(out)
		return out
	}
	want := []string{iaasID(kept), iaasID(other)}
	slices.Sort(want)
	waitFor(t, time.Minute, "the worker that asked to stop terminated, the others live", func() bool {
		return slices.Equal(liveIDs(), want)
	})
}

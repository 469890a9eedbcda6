package controller

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// A KeepAlive attribute and a refused (remembered) stop request survive a
// restart of the controller, stored with the instances: the restarted
// controller's autoscale status lists them, it refuses the KeepAlive
// node's stop, and once a lower target is asserted again its decide
// terminates the node that asked, not the others.
func TestAutoscaleNodeAttributesRestart(t *testing.T) {
	h := newHarness(t, testConfig(t.TempDir(), "autoscale", engine.Conf{}), nil)
	admin, _ := h.serve()
	ctx := context.Background()
	target := func(c *Client, n int) {
		t.Helper()
		if _, err := c.Autoscale(ctx, "d", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", TargetCount: intp(n)}}}); err != nil {
			t.Fatal(err)
		}
	}
	target(admin, 3)
	h.cycle()
	ids := h.runningAll()
	if len(ids) != 3 {
		t.Fatalf("%d instances launched, want 3", len(ids))
	}
	keep := true
	if _, err := admin.Autoscale(ctx, "d", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{},
		Nodes: []engine.NodeAttributes{{NodeID: ids[0], KeepAlive: &keep}}}); err != nil {
		t.Fatal(err)
	}
	if a, err := admin.Shutdown(ctx, "d", engine.StopRequest{NodeID: ids[1]}); err != nil || a.Granted {
		t.Fatalf("idle stop while the target of 3 holds: %+v, %v; want refused", a, err)
	}

	h.restart()
	admin, _ = h.serve()
	st, err := admin.AutoscaleStatus(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Arrays) != 1 {
		t.Fatalf("arrays after the restart: %+v", st.Arrays)
	}
	if diff := cmp.Diff([]string{ids[0]}, st.Arrays[0].KeepAlive); diff != "" {
		t.Errorf("KeepAlive after the restart (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{ids[1]}, st.Arrays[0].StopAsked); diff != "" {
		t.Errorf("stop requests after the restart (-want +got):\n%s", diff)
	}
	if a, err := admin.Shutdown(ctx, "d", engine.StopRequest{NodeID: ids[0]}); err != nil || a.Granted || !strings.Contains(a.Reason, "KeepAlive") {
		t.Errorf("stop of the KeepAlive node after the restart: %+v, %v; want refused for KeepAlive", a, err)
	}
	target(admin, 2)
	h.cycle()
	if diff := cmp.Diff([]string{ids[1]}, h.prov.terminated()); diff != "" {
		t.Errorf("terminated after the target dropped to 2 (-want +got):\n%s", diff)
	}
}

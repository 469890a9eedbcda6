package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu/engine"
	"github.com/cloudinitd/cloudinitd/epu/engine/enginetest"
)

// TestAutoscaleRestartKeepsNodeAttributes: the KeepAlive attribute and the
// remembered stop requests are node attributes (Control.SetAttribute), so
// an engine initialized on the same instances (a restarted controller:
// the harness's State stands in for its store) still has them: the
// KeepAlive node is refused a stop, and once a target is asserted again
// the decide terminates the nodes that asked, first asked first.
// Clearing KeepAlive removes the attribute.
func TestAutoscaleRestartKeepsNodeAttributes(t *testing.T) {
	h := enginetest.New()
	start := func() *engine.Autoscale {
		t.Helper()
		e := engine.NewAutoscale()
		if err := e.Initialize(h, h.State, engine.Conf{}); err != nil {
			t.Fatalf("initialize: %v", err)
		}
		return e
	}
	status := func(e *engine.Autoscale) (keep, asked []string) {
		t.Helper()
		st := e.Status(h, h.State)
		if len(st.Arrays) != 1 {
			t.Fatalf("arrays %+v, want execute only", st.Arrays)
		}
		return st.Arrays[0].KeepAlive, st.Arrays[0].StopAsked
	}
	stop := func(e *engine.Autoscale, id string) engine.StopAnswer {
		t.Helper()
		a, err := e.StopNode(h, h.State, engine.StopRequest{NodeID: id})
		if err != nil {
			t.Fatalf("stop %s: %v", id, err)
		}
		return a
	}
	e := start()
	if _, err := e.Autoscale(h, h.State, exec(3)); err != nil {
		t.Fatal(err)
	}
	if err := e.Decide(h, h.State); err != nil {
		t.Fatal(err)
	}
	for _, id := range h.Valid() {
		h.NewHealth(id, true)
	}
	if _, err := e.Autoscale(h, h.State, engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{},
		Nodes: []engine.NodeAttributes{{NodeID: "i-0001", KeepAlive: ptr(true)}}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"i-0003", "i-0002"} { // i-0003 asks first
		if a := stop(e, id); a.Granted {
			t.Fatalf("stop of %s while the target of 3 holds: granted", id)
		}
		h.Clock = h.Clock.Add(time.Second)
	}

	e = start() // the controller restarted
	keep, asked := status(e)
	if diff := cmp.Diff([]string{"i-0001"}, keep); diff != "" {
		t.Errorf("KeepAlive after the restart (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"i-0002", "i-0003"}, asked); diff != "" {
		t.Errorf("stop requests after the restart (-want +got):\n%s", diff)
	}
	if a := stop(e, "i-0001"); a.Granted || !strings.Contains(a.Reason, "KeepAlive") {
		t.Errorf("stop of the KeepAlive node after the restart: %+v, want refused for KeepAlive", a)
	}
	if _, err := e.Autoscale(h, h.State, exec(2)); err != nil {
		t.Fatal(err)
	}
	if err := e.Decide(h, h.State); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"i-0001", "i-0002"}, h.Valid()); diff != "" {
		t.Errorf("nodes left after the target dropped to 2 (-want +got):\n%s", diff)
	}

	if _, err := e.Autoscale(h, h.State, engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{},
		Nodes: []engine.NodeAttributes{{NodeID: "i-0001", KeepAlive: ptr(false)}}}); err != nil {
		t.Fatal(err)
	}
	if got := h.State.Instances["i-0001"].Attributes; got != nil {
		t.Errorf("attributes of i-0001 after KeepAlive false: %v, want none", got)
	}
	if keep, _ := status(start()); len(keep) != 0 {
		t.Errorf("KeepAlive after KeepAlive false and a restart: %v", keep)
	}
	// A stop request whose time does not parse still counts.
	if err := h.SetAttribute("i-0001", engine.AttrStopAsked, "yesterday"); err != nil {
		t.Fatal(err)
	}
	if _, asked := status(start()); !cmp.Equal([]string{"i-0001", "i-0002"}, asked) {
		t.Errorf("stop requests after a restart, i-0001's time malformed: %v, want i-0001 and i-0002", asked)
	}
}

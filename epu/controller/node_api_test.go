package controller

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

func intp(v int) *int { return &v }

// runningAll pushes RUNNING for every REQUESTING instance, as the
// provisioner would once they booted.
func (h *harness) runningAll() []string {
	ids := h.ids(epu.Requesting)
	for _, id := range ids {
		h.push(id, epu.Running)
	}
	return ids
}

// An autoscale domain takes targets from a node token of its domain (or
// the admin token), negotiates stops, and refuses malformed requests
// naming the field with nothing changed.
func TestNodeAutoscaleAndShutdown(t *testing.T) {
	h := newHarness(t, testConfig(t.TempDir(), "autoscale", engine.Conf{}), nil)
	admin, nodeTok := h.serve()
	node := NewClient(admin.BaseURL, nodeTok)
	other, _ := api.NodeToken(testSecret, "other")
	ctx := context.Background()

	if _, err := NewClient(admin.BaseURL, other).Autoscale(ctx, "d", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{}}); !api.IsStatus(err, 401) {
		t.Fatalf("another domain's node token: %v, want 401", err)
	}
	st, err := node.Autoscale(ctx, "d", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", TargetCount: intp(3)}}})
	if err != nil || len(st.Arrays) != 1 || st.Arrays[0].Target != 3 {
		t.Fatalf("autoscale: %+v, %v", st, err)
	}
	h.cycle()
	ids := h.runningAll()
	if len(ids) != 3 {
		t.Fatalf("%d instances launched, want 3", len(ids))
	}
	for _, tc := range []struct {
		body  any
		field string
	}{
		{map[string]any{"arrays": []any{map[string]any{"Name": "execute", "TargetCount": -2}}}, "arrays[0].TargetCount"},
		{map[string]any{"arrays": []any{map[string]any{"Name": "gpu", "TargetCount": 1}}}, "arrays[0].Name"},
		{map[string]any{"arrays": []any{}, "colour": "red"}, "colour"},
	} {
		err := node.Call(ctx, http.MethodPost, "/v1/domains/d/autoscale", tc.body, nil)
		if e := apiError(t, err); e.Status != 400 || e.Field != tc.field {
			t.Errorf("%v: %v, want 400 naming %s", tc.body, err, tc.field)
		}
	}
	if st, _ := admin.AutoscaleStatus(ctx, "d"); st.Arrays[0].Target != 3 {
		t.Errorf("a refused request changed the target: %+v", st.Arrays[0])
	}

	a, err := node.Shutdown(ctx, "d", engine.StopRequest{NodeID: ids[0]})
	if err != nil || a.Granted {
		t.Fatalf("idle stop while demand holds: %+v, %v; want refused", a, err)
	}
	if _, err := node.Shutdown(ctx, "d", engine.StopRequest{NodeID: "nope"}); !api.IsStatus(err, 404) {
		t.Errorf("unknown node: %v, want 404", err)
	}
	if _, err := admin.Autoscale(ctx, "d", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", TargetCount: intp(2)}}}); err != nil {
		t.Fatal(err)
	}
	h.cycle()
	if diff := cmp.Diff([]string{ids[0]}, h.prov.terminated()); diff != "" {
		t.Errorf("terminated after the target dropped (-want +got):\n%s", diff)
	}
	h.push(ids[0], epu.Terminated)
	// Expired: the next node that asks is granted at once.
	h.clock.Advance(6 * time.Minute)
	a, err = node.Shutdown(ctx, "d", engine.StopRequest{NodeID: ids[1]})
	if err != nil || !a.Granted {
		t.Fatalf("idle stop after expiry: %+v, %v; want granted", a, err)
	}
	h.domain().flush(ctx)
	if got := h.prov.terminated(); !slices.Contains(got, ids[1]) {
		t.Errorf("granted stop not sent to the provisioner: %v", got)
	}
}

// With an engine that does not negotiate, an idle stop is a 409 and an
// unhealthy one marks the node, which npreserving then replaces.
func TestNodeShutdownNpreserving(t *testing.T) {
	h := newHarness(t, testConfig(t.TempDir(), "npreserving", engine.Conf{"preserve_n": 2.0}), nil)
	admin, nodeTok := h.serve()
	node := NewClient(admin.BaseURL, nodeTok)
	ctx := context.Background()
	h.cycle()
	ids := h.runningAll()
	if _, err := node.Autoscale(ctx, "d", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{}}); !api.IsStatus(err, 409) {
		t.Errorf("autoscale on npreserving: %v, want 409", err)
	}
	if _, err := node.Shutdown(ctx, "d", engine.StopRequest{NodeID: ids[0]}); !api.IsStatus(err, 409) {
		t.Errorf("idle stop on npreserving: %v, want 409", err)
	}
	a, err := node.Shutdown(ctx, "d", engine.StopRequest{NodeID: ids[0], Unhealthy: true})
	if err != nil || !a.Granted {
		t.Fatalf("unhealthy stop: %+v, %v", a, err)
	}
	if in := h.instance(ids[0]); in.Health != epu.HealthProcessError {
		t.Errorf("health %s, want PROCESS_ERROR", in.Health)
	}
	h.cycle()
	if diff := cmp.Diff([]string{ids[0]}, h.prov.terminated()); diff != "" {
		t.Errorf("terminated (-want +got):\n%s", diff)
	}
	if prov, _, _ := h.prov.counts(); prov != 3 {
		t.Errorf("%d provision calls, want 3 (a replacement)", prov)
	}
}

// Logged messages: Jetpack's defaults, low priority not shown, unknown
// level or priority a 400 naming it; whole_state shows the last ones.
func TestNodeLog(t *testing.T) {
	h := newHarness(t, testConfig(t.TempDir(), "npreserving", engine.Conf{"preserve_n": 1.0}), nil)
	admin, nodeTok := h.serve()
	node := NewClient(admin.BaseURL, nodeTok)
	ctx := context.Background()
	h.cycle()
	id := h.runningAll()[0]
	for _, tc := range []struct {
		in   NodeMessage
		want NodeLogAnswer
	}{
		{NodeMessage{NodeID: id, Message: "disk almost full", Level: "error"}, NodeLogAnswer{Shown: true, Level: "error", Priority: "high"}},
		{NodeMessage{NodeID: id, Message: "chatter", Level: "error", Priority: "low"}, NodeLogAnswer{Shown: false, Level: "error", Priority: "low"}},
		{NodeMessage{NodeID: id, Message: "job started"}, NodeLogAnswer{Shown: true, Level: "info", Priority: "medium"}},
	} {
		got, err := node.Log(ctx, "d", tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.in.Message, diff)
		}
	}
	for _, tc := range []struct {
		in    NodeMessage
		field string
	}{
		{NodeMessage{NodeID: id, Message: "x", Level: "fatal"}, "level"},
		{NodeMessage{NodeID: id, Message: "x", Priority: "urgent"}, "priority"},
		{NodeMessage{NodeID: id}, "message"},
	} {
		_, err := node.Log(ctx, "d", tc.in)
		if e := apiError(t, err); e.Status != 400 || e.Field != tc.field {
			t.Errorf("%+v: %v, want 400 naming %s", tc.in, err, tc.field)
		}
	}
	ws, err := admin.WholeState(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ws.Instances[id].Messages {
		got = append(got, m.Level+"/"+m.Priority+": "+m.Message)
	}
	if diff := cmp.Diff([]string{"error/high: disk almost full", "info/medium: job started"}, got); diff != "" {
		t.Errorf("whole_state messages (-want +got):\n%s", diff)
	}
}

package controller

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// serve serves h's controller; it returns an admin client and a node
// token of domain d.
func (h *harness) serve() (*Client, string) {
	h.t.Helper()
	srv := httptest.NewServer(h.c.Handler())
	h.t.Cleanup(srv.Close)
	admin, _ := api.ServiceToken(testSecret, h.cfg.Service)
	node, _ := api.NodeToken(testSecret, "d")
	return NewClient(srv.URL, admin), node
}

func apiError(t *testing.T, err error) *api.Error {
	t.Helper()
	var e *api.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an API error", err)
	}
	return e
}

// whole_state has the reference §2.4 shape, with -1 for heartbeat times
// never heard and the sensors as strings.
func TestWholeStateShape(t *testing.T) {
	cfg := testConfig(t.TempDir(), "npreserving", engine.Conf{"preserve_n": 2.0})
	cfg.Domains[0].MonitorHealth = true
	h := newHarness(t, cfg, nil)
	c, node := h.serve()
	h.cycle()
	ids := h.ids(epu.Requesting)
	ctx := context.Background()
	if _, err := c.InstanceState(ctx, epu.Node{NodeID: ids[0], State: epu.Running, IaaSID: "i-abc", PublicIP: "127.0.0.26", PrivateIP: "127.0.0.25"}); err != nil {
		t.Fatal(err)
	}
	nc := NewClient(c.BaseURL, node)
	if _, err := nc.Heartbeat(ctx, epu.Heartbeat{NodeID: ids[0], State: epu.HealthOK}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Sensor(ctx, "d", epu.Sensor{SensorID: "queue-length", Time: 5, Value: map[string]any{"queue_name": "work", "queue_length": 7.0}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Sensor(ctx, "d", epu.Sensor{SensorID: "load", Time: 5, Value: 0.25}); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := c.Call(ctx, http.MethodGet, "/v1/domains/d/whole_state", nil, &raw); err != nil {
		t.Fatal(err)
	}
	now := float64(h.clock.Now().Unix())
	want := map[string]any{
		"de_state":       "PENDING_DE",
		"de_conf_report": "NpreservingEngine: preserves 2 instances (0 unique), sites: [], types: [], allocations: []",
		"stop_loss":      nil,
		"instances": map[string]any{
			ids[0]: map[string]any{"iaas_id": "i-abc", "public_ip": "127.0.0.26", "private_ip": "127.0.0.25",
				"iaas_state": "600-RUNNING", "iaas_state_time": now, "heartbeat_time": now, "heartbeat_state": "OK"},
			ids[1]: map[string]any{"iaas_id": "", "public_ip": "", "private_ip": "",
				"iaas_state": "100-REQUESTING", "iaas_state_time": now, "heartbeat_time": -1.0, "heartbeat_state": "UNKNOWN"},
		},
		"sensors": map[string]any{"queue-length": `{"queue_length":7,"queue_name":"work"}`, "load": "0.25"},
	}
	if d := cmp.Diff(want, raw); d != "" {
		t.Errorf("whole_state (-want +got):\n%s", d)
	}
}

// Wrong or missing tokens are 401; malformed requests 400 naming the
// field, with nothing recorded; an unknown domain 404 naming it.
func TestAPIErrors(t *testing.T) {
	e := &scriptedEngine{decide: launchN(1), reconfigure: func(engine.Control, engine.Conf) error {
		return errors.New("should not be reached")
	}}
	h := newHarness(t, testConfig(t.TempDir(), "scripted", nil), e)
	c, node := h.serve()
	h.cycle()
	id := h.ids(epu.Requesting)[0]
	otherNode, _ := api.NodeToken(testSecret, "other")
	ctx := context.Background()
	call := func(token, method, path string, body any) error {
		cl := NewClient(c.BaseURL, token)
		return cl.Call(ctx, method, path, body, nil)
	}
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	tests := []struct {
		name               string
		token              string // "admin", "node", or a literal
		method, path       string
		body               any
		status             int
		field, messagePart string
	}{
		{"no token", "", "GET", "/v1/domains", nil, 401, "", "bearer token"},
		{"wrong token", "nope", "GET", "/v1/domains/d/whole_state", nil, 401, "", ""},
		{"node token on an admin call", "node", "POST", "/v1/domains/d/reconfigure", map[string]any{"x": 1}, 401, "", ""},
		{"node token of another domain", otherNode, "POST", "/v1/heartbeat", epu.Heartbeat{NodeID: id, State: "OK"}, 401, "", ""},
		{"unknown domain", "admin", "GET", "/v1/domains/nope/de_state", nil, 404, "domain", `"nope"`},
		{"unknown domain (reconfigure)", "admin", "POST", "/v1/domains/nope/reconfigure", map[string]any{"preserve_n": 1}, 404, "domain", `"nope"`},
		{"heartbeat without node_id", "node", "POST", "/v1/heartbeat", epu.Heartbeat{State: "OK"}, 400, "node_id", "required"},
		{"heartbeat with a bad state", "admin", "POST", "/v1/heartbeat", epu.Heartbeat{NodeID: id, State: "FINE"}, 400, "state", "FINE"},
		{"heartbeat of an unknown node", "node", "POST", "/v1/heartbeat", epu.Heartbeat{NodeID: "ghost", State: "OK"}, 404, "node_id", "ghost"},
		{"heartbeat with an unknown field", "node", "POST", "/v1/heartbeat", raw(`{"node_id":"x","state":"OK","extra":1}`), 400, "extra", "unknown field"},
		{"instance_state with a bad state", "admin", "POST", "/v1/instance_state", raw(`{"node_id":"` + id + `","state":"600-RUNNNING"}`), 400, "state", "RUNNNING"},
		{"instance_state without node_id", "admin", "POST", "/v1/instance_state", epu.Node{State: epu.Running}, 400, "node_id", "required"},
		{"sensor without id", "admin", "POST", "/v1/domains/d/sensor", epu.Sensor{Time: 1, Value: 3.0}, 400, "sensor_id", "required"},
		{"sensor with a string time", "admin", "POST", "/v1/domains/d/sensor", raw(`{"sensor_id":"q","time":"soon","value":1}`), 400, "time", ""},
		{"sensor without value", "admin", "POST", "/v1/domains/d/sensor", epu.Sensor{SensorID: "q", Time: 1}, 400, "value", "required"},
		{"reconfigure with a list", "admin", "POST", "/v1/domains/d/reconfigure", []int{1}, 400, "", ""},
		{"reconfigure on an engine without it", "admin", "POST", "/v1/domains/d/reconfigure", map[string]any{"n": 1}, 409, "", "does not support reconfigure"},
	}
	e.reconfigure = nil // ErrNoReconfigure
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := tt.token
			switch tok {
			case "admin":
				tok = c.Token
			case "node":
				tok = node
			}
			err := call(tok, tt.method, tt.path, tt.body)
			ae := apiError(t, err)
			if ae.Status != tt.status || ae.Field != tt.field || !strings.Contains(ae.Message, tt.messagePart) {
				t.Errorf("got %d field %q message %q; want %d field %q message containing %q", ae.Status, ae.Field, ae.Message, tt.status, tt.field, tt.messagePart)
			}
		})
	}
	// Nothing of the refused requests was recorded.
	ws, err := c.WholeState(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	if len(ws.Sensors) != 0 || len(ws.Instances) != 1 || ws.Instances[id].IaaSState != epu.Requesting {
		t.Errorf("state after refused requests: %+v", ws)
	}
	if got := e.callList(); strings.Count(strings.Join(got, ","), "reconfigure") != 1 {
		t.Errorf("engine calls %v; want exactly one reconfigure (the 409)", got)
	}
}

// A node token works for heartbeats of its own domain only; with the
// monitor off, a heartbeat is answered but not used for health, and the
// state says when the node was last heard from.
func TestHeartbeatScopes(t *testing.T) {
	h := newHarness(t, testConfig(t.TempDir(), "scripted", nil), &scriptedEngine{decide: launchN(1)})
	c, node := h.serve()
	h.cycle()
	id := h.ids(epu.Requesting)[0]
	ws, err := c.WholeState(context.Background(), "d")
	if err != nil {
		t.Fatal(err)
	}
	if got := ws.Instances[id].HeartbeatTime; got != -1 {
		t.Errorf("heartbeat_time before any heartbeat: %d; want -1", got)
	}
	a, err := NewClient(c.BaseURL, node).Heartbeat(context.Background(), epu.Heartbeat{NodeID: id, State: epu.HealthOK})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(HeartbeatAnswer{NodeID: id, Domain: "d", Monitored: false, Health: epu.HealthUnknown}, a); d != "" {
		t.Errorf("heartbeat answer (-want +got):\n%s", d)
	}
	if ws, err = c.WholeState(context.Background(), "d"); err != nil {
		t.Fatal(err)
	}
	want := InstanceState{HeartbeatTime: h.clock.Now().Unix(), HeartbeatState: epu.HealthUnknown}
	got := ws.Instances[id]
	if d := cmp.Diff(want, InstanceState{HeartbeatTime: got.HeartbeatTime, HeartbeatState: got.HeartbeatState}); d != "" {
		t.Errorf("state after a heartbeat with the monitor off (-want +got):\n%s", d)
	}
	if _, err := NewClient(c.BaseURL, node).Domains(context.Background()); !api.IsStatus(err, 401) {
		t.Errorf("node token listing domains: %v; want 401", err)
	}
	hc, err := NewClient(c.BaseURL, "").Health(context.Background())
	if err != nil || !hc.OK || hc.Domains != 1 {
		t.Errorf("health: %+v %v", hc, err)
	}
}

// instance_state of an unknown instance or an old state is answered 200
// with the reason it was dropped (the provisioner does not retry it).
func TestInstanceStateDropped(t *testing.T) {
	h := newHarness(t, testConfig(t.TempDir(), "scripted", nil), &scriptedEngine{decide: launchN(1)})
	c, _ := h.serve()
	h.cycle()
	id := h.ids(epu.Requesting)[0]
	ctx := context.Background()
	for _, tc := range []struct {
		n    epu.Node
		want IngestAnswer
	}{
		{epu.Node{NodeID: "ghost", State: epu.Running}, IngestAnswer{Reason: "unknown instance"}},
		{epu.Node{NodeID: id, State: epu.Pending}, IngestAnswer{Applied: true, Domain: "d"}},
		{epu.Node{NodeID: id, State: epu.Requested}, IngestAnswer{Domain: "d", Reason: "state 200-REQUESTED is not after 400-PENDING: out of order or duplicate"}},
	} {
		got, err := c.InstanceState(ctx, tc.n)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%s %s (-want +got):\n%s", tc.n.NodeID, tc.n.State, d)
		}
	}
}

package provisioner

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
)

// TestUnauthorized: every endpoint answers 401 without the admin token or
// with another service's token.
func TestUnauthorized(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	other, _ := api.ServiceToken(testSecret, "epu-sleeper")
	for _, tok := range []string{"", "wrong", other} {
		c := NewClient(h.client.API.BaseURL, tok, nil)
		for name, call := range map[string]func() error{
			"provision": func() error {
				_, err := c.Provision(context.Background(), epu.ProvisionRequest{LaunchID: "l", DeployableType: "sleeper", NodeIDs: []string{"n"}})
				return err
			},
			"nodes":         func() error { _, err := c.DescribeNodes(context.Background()); return err },
			"health":        func() error { _, err := c.Health(context.Background()); return err },
			"terminate_all": func() error { _, err := c.TerminateAll(context.Background()); return err },
			"enable":        func() error { return c.Enable(context.Background()) },
			"state":         func() error { _, err := c.State(context.Background()); return err },
		} {
			if err := call(); !api.IsStatus(err, http.StatusUnauthorized) {
				t.Errorf("%s with token %q: %v, want 401", name, tok, err)
			}
		}
	}
	st, err := h.client.State(context.Background())
	if err != nil || len(st.Launches) != 0 || st.Disabled {
		t.Errorf("unauthorized calls changed the state: %+v %v", st, err)
	}
}

// TestBadRequests: malformed requests are 400s naming the field and store
// nothing; an unknown node is a 404 naming it; a reused launch id with
// other nodes is a 409.
func TestBadRequests(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	ctx := context.Background()
	good := func() epu.ProvisionRequest {
		return epu.ProvisionRequest{LaunchID: "l1", DeployableType: "sleeper", NodeIDs: []string{"n1", "n2"}}
	}
	cases := []struct {
		name  string
		edit  func(*epu.ProvisionRequest)
		field string
	}{
		{"no launch id", func(r *epu.ProvisionRequest) { r.LaunchID = "" }, "launch_id"},
		{"launch id with space", func(r *epu.ProvisionRequest) { r.LaunchID = "a b" }, "launch_id"},
		{"no type", func(r *epu.ProvisionRequest) { r.DeployableType = "" }, "deployable_type"},
		{"no nodes", func(r *epu.ProvisionRequest) { r.NodeIDs = nil }, "node_ids"},
		{"empty node id", func(r *epu.ProvisionRequest) { r.NodeIDs = []string{"n1", ""} }, "node_ids[1]"},
		{"node twice", func(r *epu.ProvisionRequest) { r.NodeIDs = []string{"n1", "n1"} }, "node_ids[1]"},
		{"unknown site", func(r *epu.ProvisionRequest) { r.Site = "nowhere" }, "site"},
		{"secret var", func(r *epu.ProvisionRequest) { r.Vars = map[string]string{"db_password": "x"} }, "vars.db_password"},
		{"subscriber url", func(r *epu.ProvisionRequest) { r.Subscribers = []epu.Subscriber{{Service: "c", URL: "ftp://x"}} }, "subscribers[0].url"},
		{"subscriber service", func(r *epu.ProvisionRequest) { r.Subscribers = []epu.Subscriber{{URL: "http://x"}} }, "subscribers[0].service"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := good()
			c.edit(&req)
			_, err := h.client.Provision(ctx, req)
			var e *api.Error
			if !errors.As(err, &e) || e.Status != 400 || e.Field != c.field {
				t.Errorf("got %v, want 400 naming %s", err, c.field)
			}
		})
	}
	// Shapes the typed client cannot send.
	for body, field := range map[string]string{
		`{"launch_id": 3}`:            "launch_id",
		`{"launch_id": "l", "x": 1}`:  "x",
		`{"node_ids": "n1"}`:          "node_ids",
		`not json`:                    "",
		`{"launch_id": "l"} {"x": 1}`: "",
	} {
		req, _ := http.NewRequest("POST", h.client.API.BaseURL+"/v1/provision", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+h.client.API.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var shape struct {
			Error *api.Error `json:"error"`
		}
		decodeBody(t, resp, &shape)
		if resp.StatusCode != 400 || shape.Error == nil || shape.Error.Field != field || shape.Error.Code != api.CodeBadRequest {
			t.Errorf("body %s: %d %+v, want 400 naming %q", body, resp.StatusCode, shape.Error, field)
		}
	}
	st, _ := h.client.State(ctx)
	if len(st.Launches) != 0 || len(st.Nodes) != 0 {
		t.Fatalf("bad requests stored records: %+v", st)
	}
	h.provision("l1", "n1")
	_, err := h.client.Provision(ctx, epu.ProvisionRequest{LaunchID: "l1", DeployableType: "sleeper", NodeIDs: []string{"n9"}})
	if !api.IsStatus(err, http.StatusConflict) {
		t.Errorf("launch id reused with other nodes: %v, want 409", err)
	}
	_, err = h.client.Provision(ctx, epu.ProvisionRequest{LaunchID: "l2", DeployableType: "sleeper", NodeIDs: []string{"n1"}})
	if !api.IsStatus(err, http.StatusConflict) {
		t.Errorf("node id of another launch: %v, want 409", err)
	}
	again := h.provision("l1", "n1") // idempotent
	if again.Launch.LaunchID != "l1" || len(again.Nodes) != 1 {
		t.Errorf("repeated provision: %+v", again)
	}
	var e *api.Error
	if _, err := h.client.DescribeNodes(ctx, "n1", "ghost"); !errors.As(err, &e) || e.Status != 404 || !strings.Contains(e.Message, "ghost") {
		t.Errorf("describe of an unknown node: %v, want 404 naming it", err)
	}
	if _, err := h.client.TerminateLaunches(ctx, "nope"); !api.IsStatus(err, 404) {
		t.Errorf("terminate of an unknown launch: %v, want 404", err)
	}
	if err := h.client.API.Call(ctx, "POST", "/v1/terminate_nodes", map[string]any{"node_ids": []string{}}, nil); !api.IsStatus(err, 400) {
		t.Errorf("terminate_nodes without ids: %v, want 400", err)
	}
}

// TestUnknownTypeAndCaps: an unknown deployable type stores the launch
// FAILED DTRS_LOOKUP_FAILED naming it and the known ones, launching
// nothing; a request passing max_nodes is REJECTED MAX_NODES_EXCEEDED;
// nodes that are gone do not count against the cap.
func TestUnknownTypeAndCaps(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxNodes = 3 })
	h.start()
	ctx := context.Background()
	res, err := h.client.Provision(ctx, epu.ProvisionRequest{LaunchID: "l0", DeployableType: "nosuch", NodeIDs: []string{"x"}})
	if err != nil || res.Launch.State != epu.Failed || !strings.Contains(res.Launch.StateDesc, `"nosuch"`) ||
		!strings.Contains(res.Launch.StateDesc, "sleeper") || res.Nodes[0].State != epu.Failed {
		t.Fatalf("unknown type: %+v %v", res, err)
	}
	h.provision("l1", "a", "b")
	over := h.provision("l2", "c", "d")
	if over.Launch.State != epu.Rejected || !strings.HasPrefix(over.Launch.StateDesc, ReasonMaxNodes) {
		t.Errorf("over max_nodes: %s %q", over.Launch.State, over.Launch.StateDesc)
	}
	h.waitState(epu.Pending, "a", "b")
	if n := len(h.live()); n != 2 {
		t.Errorf("%d live instances, want 2", n)
	}
	if _, err := h.client.TerminateNodes(ctx, "a", "b"); err != nil {
		t.Fatal(err)
	}
	h.waitState(epu.Terminated, "a", "b")
	if r := h.provision("l3", "e", "f", "g"); r.Launch.State != epu.Requested {
		t.Errorf("after the nodes went: %s %q", r.Launch.State, r.Launch.StateDesc)
	}
}

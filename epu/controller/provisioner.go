package controller

import (
	"context"
	"net/http"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// Provisioner is what the controller asks of the provisioner. Every call is idempotent (provision
// by launch id), so a call whose answer was lost is sent again.
type Provisioner interface {
	// Provision asks for the launch of req.NodeIDs.
	Provision(ctx context.Context, req epu.ProvisionRequest) error
	// TerminateNodes asks for the termination of nodes by id.
	TerminateNodes(ctx context.Context, ids []string) error
	// DumpState asks the provisioner to push the latest record of each
	// node to its subscribers and to req.ForceSubscribe.
	DumpState(ctx context.Context, req epu.DumpStateRequest) error
}

// NodeLister is the optional ability of a Provisioner to list every node
// record it keeps (describe_nodes without ids), with their public vars. A
// controller whose store is empty (its host was replaced) adopts the
// nodes its vars mark as its domain's before the first decide.
type NodeLister interface {
	Nodes(ctx context.Context) ([]epu.Node, error)
}

var _ NodeLister = (*httpProvisioner)(nil)

// Engines makes decision engines by name; *engine.Registry is one.
type Engines interface {
	// New returns a fresh engine of that name, or an error naming the
	// engines it knows.
	New(name string) (engine.Engine, error)
}

// httpProvisioner calls the provisioner's API (docs/epu-api.md,
// "Provisioner") with the token derived for its service: what New uses
// when Deps.Provisioner is nil, from the provisioner's service and URL in
// the configuration. Answers are not needed beyond success: the records
// come back as pushes.
type httpProvisioner struct{ c api.Client }

func newHTTPProvisioner(p Peer, secret string) (*httpProvisioner, error) {
	tok, err := api.ServiceToken(secret, p.Service)
	if err != nil {
		return nil, err
	}
	return &httpProvisioner{c: api.Client{BaseURL: p.URL, Token: tok}}, nil
}

func (h *httpProvisioner) Provision(ctx context.Context, req epu.ProvisionRequest) error {
	return h.c.Call(ctx, http.MethodPost, "/v1/provision", req, nil)
}

func (h *httpProvisioner) TerminateNodes(ctx context.Context, ids []string) error {
	return h.c.Call(ctx, http.MethodPost, "/v1/terminate_nodes", epu.NodeIDs{NodeIDs: ids}, nil)
}

func (h *httpProvisioner) DumpState(ctx context.Context, req epu.DumpStateRequest) error {
	return h.c.Call(ctx, http.MethodPost, "/v1/dump_state", req, nil)
}

func (h *httpProvisioner) Nodes(ctx context.Context) ([]epu.Node, error) {
	var out struct {
		Nodes []epu.Node `json:"nodes"`
	}
	err := h.c.Call(ctx, http.MethodGet, "/v1/nodes", nil, &out)
	return out.Nodes, err
}

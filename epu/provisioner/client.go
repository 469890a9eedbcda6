package provisioner

import (
	"context"
	"net/http"
	"net/url"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
)

// Client calls a provisioner's API. Its Token is
// api.ServiceToken(run_secret, provisioner's service), or the content of
// the provisioner's token file (api.ReadToken(state_dir)). Errors are
// *api.Error (api.IsStatus) for answers other than 2xx.
type Client struct {
	API api.Client
}

// NewClient returns a client of the provisioner at baseURL.
func NewClient(baseURL, token string, hc *http.Client) *Client {
	return &Client{API: api.Client{BaseURL: baseURL, Token: token, HTTP: hc}}
}

// Provision asks for a launch; idempotent by launch id.
func (c *Client) Provision(ctx context.Context, req epu.ProvisionRequest) (ProvisionResult, error) {
	var out ProvisionResult
	err := c.API.Call(ctx, http.MethodPost, "/v1/provision", req, &out)
	return out, err
}

// TerminateNodes terminates nodes and returns their records.
func (c *Client) TerminateNodes(ctx context.Context, ids ...string) ([]epu.Node, error) {
	var out struct {
		Nodes []epu.Node `json:"nodes"`
	}
	err := c.API.Call(ctx, http.MethodPost, "/v1/terminate_nodes", epu.NodeIDs{NodeIDs: ids}, &out)
	return out.Nodes, err
}

// TerminateLaunches terminates launches and returns their records.
func (c *Client) TerminateLaunches(ctx context.Context, ids ...string) ([]epu.Launch, error) {
	var out struct {
		Launches []epu.Launch `json:"launches"`
	}
	err := c.API.Call(ctx, http.MethodPost, "/v1/terminate_launches", epu.LaunchIDs{LaunchIDs: ids}, &out)
	return out.Launches, err
}

// TerminateAll disables provisioning and terminates everything; poll
// until Done.
func (c *Client) TerminateAll(ctx context.Context) (epu.TerminateAllResult, error) {
	var out epu.TerminateAllResult
	err := c.API.Call(ctx, http.MethodPost, "/v1/terminate_all", struct{}{}, &out)
	return out, err
}

// Enable re-enables provisioning.
func (c *Client) Enable(ctx context.Context) error {
	return c.API.Call(ctx, http.MethodPost, "/v1/enable", struct{}{}, nil)
}

// DescribeNodes returns the given nodes' records, or every node's.
func (c *Client) DescribeNodes(ctx context.Context, ids ...string) ([]epu.Node, error) {
	q := url.Values{}
	for _, id := range ids {
		q.Add("node_id", id)
	}
	path := "/v1/nodes"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out struct {
		Nodes []epu.Node `json:"nodes"`
	}
	err := c.API.Call(ctx, http.MethodGet, path, nil, &out)
	return out.Nodes, err
}

// DumpState asks for the nodes' records to be pushed again.
func (c *Client) DumpState(ctx context.Context, req epu.DumpStateRequest) (DumpStateResult, error) {
	var out DumpStateResult
	err := c.API.Call(ctx, http.MethodPost, "/v1/dump_state", req, &out)
	return out, err
}

// Health returns the provisioner's self-report.
func (c *Client) Health(ctx context.Context) (Health, error) {
	var out Health
	err := c.API.Call(ctx, http.MethodGet, "/v1/health", nil, &out)
	return out, err
}

// State returns every launch and node record.
func (c *Client) State(ctx context.Context) (State, error) {
	var out State
	err := c.API.Call(ctx, http.MethodGet, "/v1/state", nil, &out)
	return out, err
}

// WorkerLogs returns the logs of node id's worker as a tar stream
// (Provisioner.WorkerLogs).
func (c *Client) WorkerLogs(ctx context.Context, id string) ([]byte, error) {
	return c.API.Get(ctx, "/v1/nodes/"+url.PathEscape(id)+"/logs", MaxLogBytes+16<<20)
}

package controller

import (
	"context"
	"net/http"

	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// Autoscale sends an autoscale request to a domain whose engine takes
// them (admin or node token).
func (c *Client) Autoscale(ctx context.Context, domain string, req engine.AutoscaleRequest) (engine.AutoscaleStatus, error) {
	var a engine.AutoscaleStatus
	err := c.Call(ctx, http.MethodPost, domainPath(domain, "autoscale"), req, &a)
	return a, err
}

// AutoscaleStatus describes a domain's node arrays.
func (c *Client) AutoscaleStatus(ctx context.Context, domain string) (engine.AutoscaleStatus, error) {
	var a engine.AutoscaleStatus
	err := c.Call(ctx, http.MethodGet, domainPath(domain, "autoscale"), nil, &a)
	return a, err
}

// Shutdown asks for a node's termination; the answer says whether it was
// granted and why.
func (c *Client) Shutdown(ctx context.Context, domain string, req engine.StopRequest) (engine.StopAnswer, error) {
	var a engine.StopAnswer
	err := c.Call(ctx, http.MethodPost, domainPath(domain, "shutdown"), req, &a)
	return a, err
}

// Log sends a node's message.
func (c *Client) Log(ctx context.Context, domain string, m NodeMessage) (NodeLogAnswer, error) {
	var a NodeLogAnswer
	err := c.Call(ctx, http.MethodPost, domainPath(domain, "log"), m, &a)
	return a, err
}

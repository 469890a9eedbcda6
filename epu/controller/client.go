package controller

import (
	"context"
	"net/http"
	"net/url"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// Client calls a controller's API.
type Client struct {
	api.Client
}

// NewClient returns a client of the controller at baseURL, carrying token
// (the admin token, or a node token for Heartbeat).
func NewClient(baseURL, token string) *Client {
	return &Client{Client: api.Client{BaseURL: baseURL, Token: token}}
}

func domainPath(domain, what string) string {
	return "/v1/domains/" + url.PathEscape(domain) + "/" + what
}

// InstanceState pushes a node record (what the provisioner does).
func (c *Client) InstanceState(ctx context.Context, n epu.Node) (IngestAnswer, error) {
	var a IngestAnswer
	err := c.Call(ctx, http.MethodPost, "/v1/instance_state", n, &a)
	return a, err
}

// Heartbeat sends a worker's heartbeat.
func (c *Client) Heartbeat(ctx context.Context, hb epu.Heartbeat) (HeartbeatAnswer, error) {
	var a HeartbeatAnswer
	err := c.Call(ctx, http.MethodPost, "/v1/heartbeat", hb, &a)
	return a, err
}

// Domains lists the controller's domains.
func (c *Client) Domains(ctx context.Context) ([]DomainSummary, error) {
	var a []DomainSummary
	err := c.Call(ctx, http.MethodGet, "/v1/domains", nil, &a)
	return a, err
}

// WholeState returns a domain's whole state.
func (c *Client) WholeState(ctx context.Context, domain string) (WholeState, error) {
	var a WholeState
	err := c.Call(ctx, http.MethodGet, domainPath(domain, "whole_state"), nil, &a)
	return a, err
}

// DEState returns a domain's decision-engine state.
func (c *Client) DEState(ctx context.Context, domain string) (DEStateAnswer, error) {
	var a DEStateAnswer
	err := c.Call(ctx, http.MethodGet, domainPath(domain, "de_state"), nil, &a)
	return a, err
}

// Reconfigure applies and persists an engine configuration change.
func (c *Client) Reconfigure(ctx context.Context, domain string, conf engine.Conf) (DEStateAnswer, error) {
	var a DEStateAnswer
	err := c.Call(ctx, http.MethodPost, domainPath(domain, "reconfigure"), conf, &a)
	return a, err
}

// Sensor sends a sensor reading.
func (c *Client) Sensor(ctx context.Context, domain string, s epu.Sensor) (SensorAnswer, error) {
	var a SensorAnswer
	err := c.Call(ctx, http.MethodPost, domainPath(domain, "sensor"), s, &a)
	return a, err
}

// Resume ends a domain's stop-loss.
func (c *Client) Resume(ctx context.Context, domain string) (ResumeAnswer, error) {
	var a ResumeAnswer
	err := c.Call(ctx, http.MethodPost, domainPath(domain, "resume"), struct{}{}, &a)
	return a, err
}

// Health asks whether the controller answers.
func (c *Client) Health(ctx context.Context) (HealthAnswer, error) {
	var a HealthAnswer
	err := c.Call(ctx, http.MethodGet, "/v1/health", nil, &a)
	return a, err
}

package controller

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// The calls a worker's agent makes on its domain (docs/epu-api.md,
// "Controller: node calls"): each takes the admin token or the node token
// of the domain in the path, never another domain's.
func (c *Controller) nodeRoutes(mux *http.ServeMux) {
	node := func(pattern string, f func(*domain, *http.Request) (any, error)) {
		mux.Handle(pattern, c.nodeScoped(api.Handle(c.inDomain(f))))
	}
	node("POST /v1/domains/{domain}/autoscale", c.autoscale)
	node("GET /v1/domains/{domain}/autoscale", func(d *domain, r *http.Request) (any, error) { return d.autoscaleStatus(r.Context()) })
	node("POST /v1/domains/{domain}/shutdown", c.shutdown)
	node("POST /v1/domains/{domain}/log", c.nodeLog)
}

// nodeScoped lets through the admin token and the node token of the
// path's domain; anything else is a 401.
func (c *Controller) nodeScoped(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scope, dom := c.auth.Scope(r)
		if scope == api.ScopeAdmin || (scope == api.ScopeNode && dom == r.PathValue("domain")) {
			h.ServeHTTP(w, r)
			return
		}
		api.Unauthorized(w)
	})
}

// errNoRequests is the 409 of a domain whose engine takes no requests.
func (d *domain) errNoRequests(what string) error {
	return api.Conflict("domain %q: engine %q does not take %s requests (the autoscale engine does)", d.conf.Name, d.conf.Engine, what)
}

func (c *Controller) autoscale(d *domain, r *http.Request) (any, error) {
	var req engine.AutoscaleRequest
	if err := api.Decode(r, &req); err != nil {
		return nil, err
	}
	var out engine.AutoscaleStatus
	err := d.withRequester(r.Context(), "autoscale", func(e engine.Requester, c engine.Control, s *engine.State) (err error) {
		out, err = e.Autoscale(c, s, req)
		return err
	})
	if err != nil {
		return nil, requestError(err)
	}
	d.logger().Info("autoscale request", "event", "autoscale_request", "request_set", req.RequestSet, "arrays", len(req.Arrays))
	return out, nil
}

func (d *domain) autoscaleStatus(ctx context.Context) (any, error) {
	var out engine.AutoscaleStatus
	err := d.withRequester(ctx, "autoscale", func(e engine.Requester, c engine.Control, s *engine.State) error {
		out = e.Status(c, s)
		return nil
	})
	return out, err
}

// shutdown is a worker asking to stop. An engine that is a Requester
// negotiates (engine.Requester.StopNode); with any other engine an
// unhealthy stop marks the node PROCESS_ERROR, so the engine replaces it
// as it replaces every unhealthy node, and an idle stop is a 409.
func (c *Controller) shutdown(d *domain, r *http.Request) (any, error) {
	var req engine.StopRequest
	if err := api.Decode(r, &req); err != nil {
		return nil, err
	}
	if req.NodeID == "" {
		return nil, api.BadField("node_id", "required")
	}
	if !d.has(req.NodeID) {
		return nil, api.NotFound("node_id", "domain %q has no node %q", d.conf.Name, req.NodeID)
	}
	var ans engine.StopAnswer
	err := d.withRequester(r.Context(), "shutdown", func(e engine.Requester, c engine.Control, s *engine.State) (err error) {
		ans, err = e.StopNode(c, s, req)
		return err
	})
	var conflict *api.Error
	if errors.As(err, &conflict) && conflict.Status == http.StatusConflict && req.Unhealthy {
		ans, err = d.markUnhealthy(r.Context(), req.NodeID)
	}
	if err != nil {
		return nil, requestError(err)
	}
	d.logger().Info("node asked to stop", "event", "node_shutdown", "node_id", req.NodeID, "unhealthy", req.Unhealthy,
		"granted", ans.Granted, "reason", ans.Reason)
	return ans, nil
}

// markUnhealthy records PROCESS_ERROR for a node that asked to stop as
// unhealthy, for engines that replace unhealthy nodes.
func (d *domain) markUnhealthy(ctx context.Context, id string) (engine.StopAnswer, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	in, ok := d.instances[id]
	if !ok {
		return engine.StopAnswer{}, api.NotFound("node_id", "domain %q has no node %q", d.conf.Name, id)
	}
	if !in.State.Before(epu.Terminating) {
		return engine.StopAnswer{NodeID: id, Granted: true, Reason: fmt.Sprintf("already %s", in.State)}, nil
	}
	target{d: d, ctx: ctx}.setHealth(id, epu.HealthProcessError, []string{"the node asked to stop: unhealthy"}, "shutdown --unhealthy")
	d.stop.confirm(id) // the node's own word, not a lost network: replaced without waiting for stop_loss_window
	d.wake()
	return engine.StopAnswer{NodeID: id, Granted: true,
		Reason: fmt.Sprintf("marked %s; engine %q replaces unhealthy nodes at its next decide", epu.HealthProcessError, d.conf.Engine)}, nil
}

// withRequester runs f on the domain's engine as a Requester, in the
// domain's slot, over a view of the instances that leaves the changes for
// the next decide; then wakes the loop to send what f queued.
func (d *domain) withRequester(ctx context.Context, what string, f func(engine.Requester, engine.Control, *engine.State) error) error {
	e, ok := d.engine.(engine.Requester)
	if !ok {
		return d.errNoRequests(what)
	}
	d.mu.Lock()
	err := d.callEngine(what, func() error { return f(e, d.control(ctx), d.view()) })
	d.mu.Unlock()
	d.wake()
	return err
}

// view is the engine's view of the instances without taking the changes
// (those stay for the next decide). Callers hold mu.
func (d *domain) view() *engine.State {
	s := &engine.State{Instances: make(map[string]engine.Instance, len(d.instances)), Sensors: make(map[string]epu.Sensor, len(d.sensors))}
	for id, in := range d.instances {
		if d.stop.masked(id) && !in.Health.Healthy() {
			in.Health = epu.HealthUnknown
		}
		s.Instances[id] = in
	}
	for id, v := range d.sensors {
		s.Sensors[id] = v
	}
	return s
}

// requestError answers an engine's refusal as a 400 naming the field.
func requestError(err error) error {
	var re *engine.RequestError
	if errors.As(err, &re) {
		return api.BadField(re.Field, "%s", re.Msg)
	}
	return err
}

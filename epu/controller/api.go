package controller

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// Answers of the write endpoints.
type (
	// IngestAnswer answers instance_state: Applied is false, with the
	// reason, for a record that was dropped (unknown instance, a state
	// not after the current one).
	IngestAnswer struct {
		Applied bool   `json:"applied"`
		Domain  string `json:"domain,omitempty"`
		Reason  string `json:"reason,omitempty"`
	}
	// HeartbeatAnswer answers heartbeat: the node's health after it.
	HeartbeatAnswer struct {
		NodeID    string     `json:"node_id"`
		Domain    string     `json:"domain"`
		Monitored bool       `json:"monitored"` // false: the domain's health monitor is off and the heartbeat is not used
		Health    epu.Health `json:"health"`
	}
	// SensorAnswer answers sensor: Current is false for a reading older
	// than the current one (kept only for the next decide's changes).
	SensorAnswer struct {
		Current bool `json:"current"`
	}
	// ResumeAnswer answers resume: Resumed is false when stop-loss was
	// not engaged.
	ResumeAnswer struct {
		Resumed bool `json:"resumed"`
	}
	// HealthAnswer answers health.
	HealthAnswer struct {
		OK      bool `json:"ok"`
		Domains int  `json:"domains"`
	}
)

// Handler serves the controller's API (docs/epu-api.md, "Controller").
// Every endpoint but health takes the admin token; heartbeat also takes
// the node token of the node's domain, and the node calls (node_api.go:
// autoscale, shutdown, log) the node token of the path's domain.
func (c *Controller) Handler() http.Handler {
	mux := http.NewServeMux()
	admin := func(pattern string, f func(*http.Request) (any, error)) {
		mux.Handle(pattern, c.auth.Admin(api.Handle(f)))
	}
	mux.Handle("GET /v1/health", api.Handle(func(*http.Request) (any, error) {
		return HealthAnswer{OK: true, Domains: len(c.order)}, nil
	}))
	mux.Handle("POST /v1/heartbeat", http.HandlerFunc(c.serveHeartbeat))
	admin("POST /v1/instance_state", c.instanceState)
	admin("GET /v1/domains", func(*http.Request) (any, error) {
		out := make([]DomainSummary, 0, len(c.order))
		for _, n := range c.order {
			out = append(out, c.domains[n].summary())
		}
		return out, nil
	})
	admin("GET /v1/domains/{domain}/whole_state", c.inDomain(func(d *domain, _ *http.Request) (any, error) { return d.wholeState(), nil }))
	admin("GET /v1/domains/{domain}/de_state", c.inDomain(func(d *domain, _ *http.Request) (any, error) { return d.deState(), nil }))
	admin("POST /v1/domains/{domain}/reconfigure", c.inDomain(c.reconfigure))
	admin("POST /v1/domains/{domain}/sensor", c.inDomain(c.sensor))
	admin("POST /v1/domains/{domain}/resume", c.inDomain(func(d *domain, _ *http.Request) (any, error) {
		return ResumeAnswer{Resumed: d.resume()}, nil
	}))
	c.nodeRoutes(mux)
	return mux
}

// inDomain finds the domain of the path; an unknown one is a 404 naming it.
func (c *Controller) inDomain(f func(*domain, *http.Request) (any, error)) func(*http.Request) (any, error) {
	return func(r *http.Request) (any, error) {
		name := r.PathValue("domain")
		d, ok := c.domains[name]
		if !ok {
			return nil, api.NotFound("domain", "unknown domain %q (this controller has %v)", name, c.order)
		}
		return f(d, r)
	}
}

func (c *Controller) instanceState(r *http.Request) (any, error) {
	var n epu.Node
	if err := api.Decode(r, &n); err != nil {
		return nil, err
	}
	if n.NodeID == "" {
		return nil, api.BadField("node_id", "required")
	}
	if !n.State.Valid() {
		return nil, api.BadField("state", "unknown node state %q", n.State)
	}
	for _, name := range c.order {
		d := c.domains[name]
		if !d.has(n.NodeID) {
			continue
		}
		applied, dup, reason, err := d.ingestNode(r.Context(), n)
		if err != nil {
			return nil, err
		}
		if !applied {
			// A record of the current state is a resync's echo; an older
			// one arrived out of order.
			level := slog.LevelWarn
			if dup {
				level = slog.LevelDebug
			}
			d.logger().Log(r.Context(), level, "instance record dropped", "event", "instance_dropped", "node_id", n.NodeID, "state", string(n.State), "reason", reason)
		}
		return IngestAnswer{Applied: applied, Domain: name, Reason: reason}, nil
	}
	c.env.log.Warn("instance record dropped", "event", "instance_dropped", "node_id", n.NodeID, "state", string(n.State), "reason", "unknown instance")
	return IngestAnswer{Reason: "unknown instance"}, nil
}

// serveHeartbeat takes the admin token, or the node token of the domain
// that has the node.
func (c *Controller) serveHeartbeat(w http.ResponseWriter, r *http.Request) {
	scope, scoped := c.auth.Scope(r)
	if scope == api.ScopeNone {
		api.Unauthorized(w)
		return
	}
	api.Handle(func(r *http.Request) (any, error) {
		var hb epu.Heartbeat
		if err := api.Decode(r, &hb); err != nil {
			return nil, err
		}
		if hb.NodeID == "" {
			return nil, api.BadField("node_id", "required")
		}
		switch hb.State {
		case epu.HealthOK, epu.HealthMonitorError, epu.HealthProcessError:
		default:
			return nil, api.BadField("state", "want OK, MONITOR_ERROR or PROCESS_ERROR, got %q", hb.State)
		}
		for _, name := range c.order {
			if scope == api.ScopeNode && name != scoped {
				continue
			}
			known, monitored, h := c.domains[name].heartbeat(r.Context(), hb)
			if known {
				return HeartbeatAnswer{NodeID: hb.NodeID, Domain: name, Monitored: monitored, Health: h}, nil
			}
		}
		return nil, api.NotFound("node_id", "unknown node %q", hb.NodeID)
	}).ServeHTTP(w, r)
}

func (c *Controller) reconfigure(d *domain, r *http.Request) (any, error) {
	var conf engine.Conf
	if err := api.Decode(r, &conf); err != nil {
		return nil, err
	}
	if conf == nil {
		return nil, api.BadField("", "want a JSON object of engine configuration keys")
	}
	err := d.reconfigure(r.Context(), conf)
	var ce interface{ ConfKey() string }
	switch {
	case err == nil:
		return d.deState(), nil
	case errors.As(err, &ce):
		return nil, api.BadField(ce.ConfKey(), "%v", err)
	case errors.Is(err, engine.ErrBadConf):
		return nil, api.BadField(confKey(err, conf), "%v", err)
	case errors.Is(err, engine.ErrNoReconfigure):
		return nil, api.Conflict("domain %q: engine %q: %v", d.conf.Name, d.conf.Engine, err)
	}
	return nil, err
}

func (c *Controller) sensor(d *domain, r *http.Request) (any, error) {
	var s epu.Sensor
	if err := api.Decode(r, &s); err != nil {
		return nil, err
	}
	switch {
	case s.SensorID == "":
		return nil, api.BadField("sensor_id", "required")
	case s.Time <= 0:
		return nil, api.BadField("time", "required: a positive integer (microseconds since the epoch)")
	case s.Value == nil:
		return nil, api.BadField("value", "required")
	}
	current, err := d.ingestSensor(r.Context(), s)
	if err != nil {
		return nil, err
	}
	return SensorAnswer{Current: current}, nil
}

// confKey returns the key of conf an engine's configuration error is
// about: engines write it first ("preserve_n: bad engine configuration:
// …"); "" when none of the request's keys leads the message.
func confKey(err error, conf engine.Conf) string {
	msg := err.Error()
	best := ""
	for k := range conf {
		if strings.HasPrefix(msg, k+":") && len(k) > len(best) {
			best = k
		}
	}
	return best
}

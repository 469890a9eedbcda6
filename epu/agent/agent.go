package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/controller"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// Clock is the time the agent goes by; tests drive it with a fake.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Deps are what an agent is given.
type Deps struct {
	Clock  Clock        // nil: the wall clock
	Logger *slog.Logger // JSON event lines (logs/agent.log); nil: discarded
}

// Agent is a worker's agent: heartbeats to its controller, health checks,
// keepalive. It never powers its machine off: termination is asked of the
// controller, which terminates through the provisioner.
type Agent struct {
	cfg   Config
	home  Home
	clock Clock
	log   *slog.Logger
	ctl   *controller.Client
	start time.Time

	mu          sync.Mutex
	verdict     Verdict
	asked       time.Time // the verdict time for which a stop was granted or answered; zero: none
	unreachable bool      // the last call to the controller failed
}

// New returns an agent for cfg (checked by LoadConfig or ParseConfig).
func New(cfg Config, deps Deps) (*Agent, error) {
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	a := &Agent{cfg: cfg, home: Home(cfg.Home), clock: deps.Clock, log: deps.Logger,
		ctl: controller.NewClient(cfg.Controller, cfg.NodeToken)}
	if a.clock == nil {
		a.clock = realClock{}
	}
	if a.log == nil {
		a.log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	a.log = a.log.With("node_id", cfg.NodeID, "domain", cfg.Domain)
	a.verdict = Verdict{Healthy: true}
	return a, nil
}

// Run takes the home's lock (a second agent on one home is
// ErrAgentRunning), publishes its configuration for `epu node`, and sends
// heartbeats and runs health checks until ctx ends.
func (a *Agent) Run(ctx context.Context) error {
	if err := a.home.Make(); err != nil {
		return err
	}
	lock, err := a.home.lock()
	if err != nil {
		return err
	}
	defer lock.Close()
	b, err := json.MarshalIndent(a.cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	if err := writePrivate(a.home.configFile(), b); err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	a.start = a.clock.Now()
	a.log.Info("agent started", "event", "agent_started", "controller", a.cfg.Controller, "home", string(a.home),
		"heartbeat_period", a.cfg.HeartbeatPeriod.D().String(), "healthcheck_period", a.cfg.HealthcheckPeriod.D().String())
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return a.every(gctx, a.cfg.HeartbeatPeriod.D(), a.heartbeat) })
	g.Go(func() error { return a.every(gctx, a.cfg.HealthcheckPeriod.D(), a.healthRound) })
	err = g.Wait()
	a.log.Info("agent stopped", "event", "agent_stopped")
	return err
}

// every runs f at once and then each period until ctx ends.
func (a *Agent) every(ctx context.Context, period time.Duration, f func(context.Context)) error {
	for {
		f(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-a.clock.After(period):
		}
	}
}

// Verdict returns the last health verdict.
func (a *Agent) Verdict() Verdict {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.verdict
}

// heartbeat tells the controller the node's health: OK, or PROCESS_ERROR
// with the verdict's reasons when unhealthy and not kept alive. A
// controller that cannot be reached is logged and tried again next
// period; the node stays up.
func (a *Agent) heartbeat(ctx context.Context) {
	v := a.Verdict()
	hb := epu.Heartbeat{NodeID: a.cfg.NodeID, State: epu.HealthOK}
	if v.Reported() {
		hb.State, hb.Error, hb.ErrorTime = epu.HealthProcessError, v.Reason(), v.Since.Unix()
	}
	cctx, cancel := context.WithTimeout(ctx, a.cfg.CallTimeout.D())
	defer cancel()
	ans, err := a.ctl.Heartbeat(cctx, hb)
	if a.reach(ctx, "heartbeat", err) {
		a.log.Debug("heartbeat", "event", "heartbeat", "state", string(hb.State), "health", string(ans.Health), "monitored", ans.Monitored)
	}
}

// reach logs the outcome of a call to the controller: a failure once per
// outage (then at debug level) and the return of the controller. It
// reports whether the call succeeded.
func (a *Agent) reach(ctx context.Context, call string, err error) bool {
	a.mu.Lock()
	was := a.unreachable
	a.unreachable = err != nil
	a.mu.Unlock()
	switch {
	case err == nil && was:
		a.log.Info("controller reachable again", "event", "controller_reachable", "call", call)
	case err != nil && ctx.Err() != nil:
	case err != nil && !was:
		a.log.Warn("controller unreachable; the node stays up and the agent retries each period", "event", "controller_unreachable",
			"call", call, "error", err.Error())
	case err != nil:
		a.log.Debug("controller still unreachable", "event", "controller_unreachable", "call", call, "error", err.Error())
	}
	return err == nil
}

// askStop asks the controller to stop this node as unhealthy, once per
// unhealthy verdict (again next round when the call failed).
func (a *Agent) askStop(ctx context.Context, v Verdict) {
	a.mu.Lock()
	done := a.asked.Equal(v.Since)
	a.mu.Unlock()
	if done {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, a.cfg.CallTimeout.D())
	defer cancel()
	ans, err := a.ctl.Shutdown(cctx, a.cfg.Domain, engine.StopRequest{NodeID: a.cfg.NodeID, Unhealthy: true})
	if !a.reach(ctx, "shutdown", err) {
		return
	}
	a.mu.Lock()
	a.asked = v.Since
	a.mu.Unlock()
	a.log.Warn("asked the controller to stop this unhealthy node", "event", "stop_requested", "granted", ans.Granted,
		"reason", ans.Reason, "health", v.Reason())
}

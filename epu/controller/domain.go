package controller

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// domain is one pool of workers and its engine. Its mutex is the one slot
// of reference §5.3: initialize, decide, reconfigure, queries and the
// ingestion of messages never overlap. Provisioner calls are made outside
// it, by the domain's loop only.
type domain struct {
	conf   DomainConf
	env    *env
	engine engine.Engine

	mu            sync.Mutex
	instances     map[string]engine.Instance
	sensors       map[string]epu.Sensor
	instChanges   []engine.Instance
	sensorChanges []epu.Sensor
	health        *healthMonitor       // nil: monitor off
	heard         map[string]time.Time // with the monitor off: each node's last heartbeat, reported (dump_state), not used
	period        time.Duration
	pinned        bool // decide_period was configured: engines' periods are not applied
	adopting      bool // the store had no instance: adopt the provisioner's nodes of this domain before the first decide
	provVars      map[string]string
	pending       []*action
	stop          stopLoss
	notes         map[string][]NodeMessage // node → the last messages it logged, medium priority or more (node_log.go)

	kick chan struct{} // wakes the loop to send pending actions
}

// env is what every domain of a controller shares.
type env struct {
	clock          Clock
	log            *slog.Logger
	store          store
	prov           Provisioner
	service        string         // this controller's service name (marks its workers' vars)
	self           epu.Subscriber // this controller, as the provisioner reaches it; set by Run before the loops start
	minPeriod      time.Duration
	maxPeriod      time.Duration // 0: none
	retryPeriod    time.Duration
	resync         time.Duration
	stopLoss       float64
	stopLossWindow time.Duration
}

// newDomain makes a domain; a period of 0 is the default, which the engine
// may change.
func newDomain(conf DomainConf, e *env, eng engine.Engine, period time.Duration) *domain {
	pinned := period != 0
	if !pinned {
		period = e.clampPeriod(DefaultDecidePeriod)
	}
	d := &domain{conf: conf, env: e, engine: eng, period: period, pinned: pinned,
		instances: map[string]engine.Instance{}, sensors: map[string]epu.Sensor{}, heard: map[string]time.Time{},
		kick: make(chan struct{}, 1)}
	if conf.MonitorHealth {
		d.health = newHealthMonitor(time.Duration(conf.HealthBootTimeout), time.Duration(conf.HealthMissingTimeout),
			time.Duration(conf.HealthZombieTimeout), e.clock.Now())
	}
	return d
}

// clampPeriod keeps a decide period within min_decide_period and
// max_decide_period.
func (e *env) clampPeriod(p time.Duration) time.Duration {
	p = max(p, e.minPeriod)
	if e.maxPeriod > 0 {
		p = min(p, e.maxPeriod)
	}
	return p
}

// logger returns the domain's logger.
func (d *domain) logger() *slog.Logger { return d.env.log.With("domain", d.conf.Name) }

// put records the latest state of an instance: in the store first, then
// in memory and in the changes the next decide sees. Callers hold mu.
func (d *domain) put(ctx context.Context, in engine.Instance) error {
	if err := d.env.store.putInstance(ctx, d.conf.Name, in); err != nil {
		return err
	}
	d.instances[in.InstanceID] = in
	d.instChanges = append(d.instChanges, in)
	return nil
}

// snapshot returns the engine's view and clears the changes. Instances
// held by stop-loss, or unhealthy for less than stop_loss_window, show
// UNKNOWN health, so the engine does not replace them. Callers hold mu.
func (d *domain) snapshot() *engine.State {
	s := &engine.State{Instances: make(map[string]engine.Instance, len(d.instances)),
		Sensors: make(map[string]epu.Sensor, len(d.sensors)), InstanceChanges: d.instChanges, SensorChanges: d.sensorChanges}
	for id, in := range d.instances {
		if d.stop.masked(id) && !in.Health.Healthy() {
			in.Health = epu.HealthUnknown
		}
		s.Instances[id] = in
	}
	for id, v := range d.sensors {
		s.Sensors[id] = v
	}
	d.instChanges, d.sensorChanges = nil, nil
	return s
}

// callEngine runs one engine call; a panic is turned into an error.
func (d *domain) callEngine(what string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("engine %s: %s panicked: %v", d.conf.Engine, what, r)
			d.logger().Error("engine panic", "event", "engine_panic", "call", what, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	return f()
}

// initialize hands the engine its configuration, before any decide.
func (d *domain) initialize(ctx context.Context, conf engine.Conf) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.snapshot()
	err := d.callEngine("initialize", func() error { return d.engine.Initialize(d.control(ctx), st, conf) })
	if err != nil {
		return fmt.Errorf("domain %q: engine %q: initialize: %w", d.conf.Name, d.conf.Engine, err)
	}
	return nil
}

// decide runs one cycle: health, stop-loss, the engine's decide. An
// engine error or panic is logged and the loop goes on.
func (d *domain) decide(ctx context.Context) {
	d.mu.Lock()
	now := d.env.clock.Now()
	if d.health != nil {
		d.health.update(target{d: d, ctx: ctx}, now)
	}
	d.checkStopLoss(now)
	st := d.snapshot()
	err := d.callEngine("decide", func() error { return d.engine.Decide(d.control(ctx), st) })
	d.mu.Unlock()
	if err != nil {
		d.logger().Error("decide failed; the loop goes on", "event", "decide_error", "error", err.Error())
	}
}

// reconfigure applies conf and, once the engine took it, persists it. A
// client that goes away does not stop it half-way (applied, not stored).
func (d *domain) reconfigure(ctx context.Context, conf engine.Conf) error {
	ctx = context.WithoutCancel(ctx)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.callEngine("reconfigure", func() error { return d.engine.Reconfigure(d.control(ctx), conf) }); err != nil {
		return err
	}
	if err := d.env.store.addReconfiguration(ctx, d.conf.Name, conf, d.env.clock.Now()); err != nil {
		d.logger().Error("reconfiguration applied but not persisted", "event", "reconfigure_not_persisted", "error", err.Error())
		return err
	}
	d.logger().Info("reconfigured", "event", "reconfigured", "keys", sortedKeys(conf))
	d.wake()
	return nil
}

// wake asks the loop to send pending actions now.
func (d *domain) wake() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// target adapts a domain to the health monitor; calls hold mu.
type target struct {
	d   *domain
	ctx context.Context
}

func (t target) instance(id string) (engine.Instance, bool) {
	in, ok := t.d.instances[id]
	return in, ok
}
func (t target) all() []engine.Instance { return (&engine.State{Instances: t.d.instances}).All() }
func (t target) setHealth(id string, h epu.Health, errs []string, reason string) {
	in := t.d.instances[id]
	from := in.Health
	in.Health, in.Errors = h, errs
	if err := t.d.put(t.ctx, in); err != nil {
		t.d.logger().Error("health not recorded", "event", "store_error", "node_id", id, "health", string(h), "error", err.Error())
		return
	}
	t.d.logger().Info("health changed", "event", "health_changed", "node_id", id, "iaas_id", in.IaaSID,
		"from", string(from), "to", string(h), "reason", reason)
}

package controller

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// Errors a Control returns to its engine.
var (
	// ErrCapReached: a launch would exceed the domain's max_size.
	ErrCapReached = errors.New("domain size cap reached")
	// ErrStopLoss: stop-loss holds the instance; it is not destroyed.
	ErrStopLoss = errors.New("stop-loss holds the instance")
	// ErrUnknownInstance: the domain has no instance by that id.
	ErrUnknownInstance = errors.New("unknown instance")
	// ErrOtherType: a launch named a deployable type other than the
	// domain's.
	ErrOtherType = errors.New("not the domain's deployable type")
)

// control is the engine's handle on its domain during one call; the
// domain's mutex is held.
type control struct {
	d   *domain
	ctx context.Context
}

var _ engine.Control = control{}

func (d *domain) control(ctx context.Context) control { return control{d: d, ctx: ctx} }

// Configure sets "timed-pulse-irregular" (the decide period in
// milliseconds, kept within min_decide_period and max_decide_period; not
// applied when decide_period is configured) and "provisioner_vars" (the
// vars of every later launch), read by engine.ParseParams: everything is
// checked before anything changes; an unknown parameter is an error.
func (c control) Configure(params engine.Conf) error {
	p, err := engine.ParseParams(params)
	if err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	switch {
	case p.HasPulse && c.d.pinned:
		c.d.logger().Info("the engine's decide period is not applied: decide_period is configured", "event", "decide_period",
			"asked", p.Pulse.String(), "period", c.d.period.String())
	case p.HasPulse:
		period := c.d.env.clampPeriod(p.Pulse)
		if period != p.Pulse {
			c.d.logger().Info("decide period kept within min_decide_period and max_decide_period", "event", "decide_period",
				"asked", p.Pulse.String(), "period", period.String())
		}
		c.d.period = period
	}
	if p.HasVars {
		c.d.provVars = maps.Clone(p.ProvisionerVars)
	}
	return nil
}

// Now is the controller's clock.
func (c control) Now() time.Time { return c.d.env.clock.Now() }

// Launch registers one instance as REQUESTING, then queues its provision
// request; the loop sends it. It refuses, with a logged reason, a launch
// that would take the domain beyond max_size.
func (c control) Launch(dt, site, allocation string, extravars map[string]string) (string, string, error) {
	d := c.d
	if dt == "" {
		dt = d.conf.DeployableType
	}
	if dt != d.conf.DeployableType {
		d.logger().Warn("launch refused", "event", "launch_refused", "reason", "deployable type "+dt+" is not the domain's", "deployable_type", dt)
		return "", "", fmt.Errorf("launch of %q in domain %q (deployable type %q): %w", dt, d.conf.Name, d.conf.DeployableType, ErrOtherType)
	}
	if site == "" {
		site = d.conf.Site
	}
	if allocation == "" {
		allocation = d.conf.Allocation
	}
	if live := d.live(); live >= d.conf.MaxSize {
		reason := fmt.Sprintf("%d live instances, max_size %d", live, d.conf.MaxSize)
		d.logger().Warn("launch refused", "event", "launch_refused", "reason", reason)
		return "", "", fmt.Errorf("domain %q: launch refused: %s: %w", d.conf.Name, reason, ErrCapReached)
	}
	launchID, instanceID := newID(), newID()
	in := engine.Instance{InstanceID: instanceID, LaunchID: launchID, Site: site, Allocation: allocation,
		State: epu.Requesting, StateTime: d.env.clock.Now(), Health: epu.HealthUnknown, Extravars: maps.Clone(extravars)}
	if err := d.put(c.ctx, in); err != nil {
		return "", "", fmt.Errorf("domain %q: launch: %w", d.conf.Name, err)
	}
	d.queueLaunch(in)
	d.logger().Info("new launch", "event", "new_launch", "launch_id", launchID, "node_id", instanceID,
		"deployable_type", dt, "site", site, "allocation", allocation)
	return launchID, instanceID, nil
}

// Destroy queues the termination of instances. An unknown id, or one
// stop-loss holds, is refused (the others go on); one already ended needs
// nothing.
func (c control) Destroy(ids ...string) error {
	d := c.d
	var errs []error
	var send []string
	for _, id := range ids {
		in, ok := d.instances[id]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("destroy %s: %w", id, ErrUnknownInstance))
		case d.stop.held[id]:
			d.logger().Warn("destroy refused", "event", "destroy_refused", "node_id", id, "reason", d.stop.reason)
			errs = append(errs, fmt.Errorf("destroy %s: %s: %w", id, d.stop.reason, ErrStopLoss))
		case in.State.Final():
		default:
			send = append(send, id)
		}
	}
	if len(send) > 0 {
		d.queue(&action{kind: terminateAction, ids: send})
		d.logger().Info("destroy", "event", "destroy_instances", "node_ids", send)
	}
	return errors.Join(errs...)
}

// SetAttribute stores an engine's attribute of an instance with the
// instance ("" removes it) before it returns, so the engine finds it again
// after a restart. It is not an instance change: the engine does not see
// it in InstanceChanges.
func (c control) SetAttribute(id, key, value string) error {
	d := c.d
	in, ok := d.instances[id]
	switch {
	case !ok:
		return fmt.Errorf("set attribute %s of %s: %w", key, id, ErrUnknownInstance)
	case in.Attributes[key] == value:
		return nil
	}
	in.Attributes = engine.WithAttribute(in.Attributes, key, value)
	if err := d.env.store.putInstance(c.ctx, d.conf.Name, in); err != nil {
		return fmt.Errorf("set attribute %s of %s: %w", key, id, err)
	}
	d.instances[id] = in
	return nil
}

// HealthNotChecked reports whether the health monitor is off.
func (c control) HealthNotChecked() bool { return c.d.health == nil }

// live counts the instances that hold or may hold a cloud instance:
// everything not TERMINATED, FAILED or REJECTED. Callers hold mu.
func (d *domain) live() int {
	n := 0
	for _, in := range d.instances {
		if !in.State.Final() {
			n++
		}
	}
	return n
}

// queueLaunch queues the provision request of a REQUESTING instance.
// Callers hold mu.
func (d *domain) queueLaunch(in engine.Instance) {
	vars := maps.Clone(d.provVars)
	if vars == nil {
		vars = map[string]string{}
	}
	maps.Copy(vars, in.Extravars)
	// node_id and domain tell the worker's agent who it is and which
	// domain's node token it carries (docs/agent.md); epu_controller and
	// domain let a controller that lost its store find its pool (adopt.go).
	vars["node_id"] = in.InstanceID
	vars[VarController], vars[VarDomain] = d.env.service, d.conf.Name
	d.queue(&action{kind: launchAction, req: epu.ProvisionRequest{LaunchID: in.LaunchID, DeployableType: d.conf.DeployableType,
		NodeIDs: []string{in.InstanceID}, Site: in.Site, Allocation: in.Allocation, Vars: vars}})
}

func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

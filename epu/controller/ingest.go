package controller

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
)

// ingestNode applies a node record pushed by the provisioner (reference
// §2.4): a record of an unknown instance, or whose state is not after
// the current one, is dropped and the reason returned; fields the record
// lacks (a FAILED record may be partial) are kept from the previous one;
// TERMINATING or later resets the health to UNKNOWN; the state time is
// the arrival time.
// dup reports a record of the current state.
func (d *domain) ingestNode(ctx context.Context, n epu.Node) (applied, dup bool, reason string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	in, ok := d.instances[n.NodeID]
	if !ok {
		return false, false, "unknown instance", nil
	}
	if !n.State.After(in.State) {
		return false, n.State == in.State, fmt.Sprintf("state %s is not after %s: out of order or duplicate", n.State, in.State), nil
	}
	in.State = n.State
	in.StateTime = d.env.clock.Now()
	keep := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	keep(&in.LaunchID, n.LaunchID)
	keep(&in.Site, n.Site)
	keep(&in.Allocation, n.Allocation)
	keep(&in.IaaSID, n.IaaSID)
	keep(&in.Hostname, n.Hostname)
	keep(&in.PublicIP, n.PublicIP)
	keep(&in.PrivateIP, n.PrivateIP)
	if !n.State.Before(epu.Terminating) {
		in.Health = epu.HealthUnknown
	}
	if n.StateDesc != "" && (n.State == epu.Failed || n.State == epu.RunningFailed || n.State == epu.Rejected) {
		in.Errors = append(append([]string(nil), in.Errors...), n.StateDesc)
	}
	if err := d.put(ctx, in); err != nil {
		return false, false, "", err
	}
	d.logger().Info("instance state", "event", "instance_state", "node_id", in.InstanceID, "iaas_id", in.IaaSID,
		"state", string(in.State), "public_ip", in.PublicIP, "private_ip", in.PrivateIP)
	return true, false, "", nil
}

// ingestSensor takes in a reading. Every reading joins the changes the
// next decide sees; one older than the current reading does not replace
// it (current is false).
func (d *domain) ingestSensor(ctx context.Context, s epu.Sensor) (current bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sensorChanges = append(d.sensorChanges, s)
	if prev, ok := d.sensors[s.SensorID]; ok && s.Time < prev.Time {
		d.logger().Warn("out of order sensor reading kept only in the changes", "event", "sensor_out_of_order", "sensor_id", s.SensorID, "time", s.Time, "current_time", prev.Time)
		return false, nil
	}
	if err := d.env.store.putSensor(ctx, d.conf.Name, s); err != nil {
		return false, err
	}
	d.sensors[s.SensorID] = s
	return true, nil
}

// heartbeat takes in a worker's heartbeat; known is false for a node the
// domain does not have. With the monitor off, the heartbeat changes no
// health: only its time is kept, for the state to say when the node was
// last heard from.
func (d *domain) heartbeat(ctx context.Context, hb epu.Heartbeat) (known, monitored bool, health epu.Health) {
	d.mu.Lock()
	defer d.mu.Unlock()
	in, ok := d.instances[hb.NodeID]
	if !ok {
		return false, d.health != nil, ""
	}
	if d.health == nil {
		d.heard[hb.NodeID] = d.env.clock.Now()
		return true, false, in.Health
	}
	d.health.heartbeat(target{d: d, ctx: ctx}, hb, d.env.clock.Now())
	return true, true, d.instances[hb.NodeID].Health
}

// lastHeartbeat returns when the node was last heard from: by the health
// monitor, or with the monitor off by heartbeat. d.mu is held.
func (d *domain) lastHeartbeat(id string) (time.Time, bool) {
	if d.health != nil {
		return d.health.lastHeartbeat(id)
	}
	t, ok := d.heard[id]
	return t, ok
}

// has reports whether the domain has the instance.
func (d *domain) has(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.instances[id]
	return ok
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

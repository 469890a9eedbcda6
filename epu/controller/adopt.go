package controller

import (
	"context"
	"fmt"
	"slices"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// The vars every launch carries besides node_id and heartbeat_dest: which
// controller and domain the worker belongs to, so a controller that lost
// its store finds its pool again.
const (
	VarController = "epu_controller"
	VarDomain     = "domain"
)

// launchVars are the vars the controller adds to a launch's; what is left
// of a node's vars without them and the provisioner vars is its extravars.
var launchVars = []string{"node_id", "heartbeat_dest", VarController, VarDomain}

// adopt takes in the provisioner's nodes marked as this domain's that are
// not TERMINATED: a controller started with an empty store (its host was
// replaced, its state directory lost) keeps the pool it had instead of
// launching another beside it. It runs before the first decide; until it
// succeeds there is no decide.
func (d *domain) adopt(ctx context.Context) error {
	lister, ok := d.env.prov.(NodeLister)
	if !ok {
		return nil
	}
	nodes, err := lister.Nodes(ctx)
	if err != nil {
		return fmt.Errorf("list the provisioner's nodes: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var ids []string
	for _, n := range nodes {
		if n.Vars[VarController] != d.env.service || n.Vars[VarDomain] != d.conf.Name || !n.State.Before(epu.Terminated) {
			continue
		}
		if _, known := d.instances[n.NodeID]; known {
			continue
		}
		in := engine.Instance{InstanceID: n.NodeID, LaunchID: n.LaunchID, Site: n.Site, Allocation: n.Allocation,
			State: n.State, StateTime: d.env.clock.Now(), Health: epu.HealthUnknown, IaaSID: n.IaaSID,
			Hostname: n.Hostname, PublicIP: n.PublicIP, PrivateIP: n.PrivateIP, Extravars: d.extravars(n.Vars)}
		if err := d.put(ctx, in); err != nil {
			return err
		}
		ids = append(ids, n.NodeID)
	}
	d.adopting = false
	if len(ids) > 0 {
		d.queue(&action{kind: dumpAction, ids: ids})
	}
	d.logger().Info("adopted the provisioner's nodes of this domain", "event", "adopted", "nodes", len(ids), "node_ids", ids)
	return nil
}

// extravars returns what of a node's vars is neither the controller's
// nor, with the same value, a provisioner var. Callers hold mu.
func (d *domain) extravars(vars map[string]string) map[string]string {
	var out map[string]string
	for k, v := range vars {
		if slices.Contains(launchVars, k) {
			continue
		}
		if pv, ok := d.provVars[k]; ok && pv == v {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out
}

// needsAdoption reports whether adopt must still run.
func (d *domain) needsAdoption() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.adopting
}

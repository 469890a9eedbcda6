package provisioner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/iaas"
)

// ProvisionResult answers provision: the launch and its nodes as stored.
type ProvisionResult struct {
	Launch epu.Launch `json:"launch"`
	Nodes  []epu.Node `json:"nodes"`
}

// Reasons (state_desc prefixes) a launch or node fails or is refused.
const (
	ReasonDisabled      = "PROVISIONER_DISABLED"
	ReasonUnknownType   = "DTRS_LOOKUP_FAILED"
	ReasonMaxNodes      = "MAX_NODES_EXCEEDED"
	ReasonCapacity      = "IAAS_CAPACITY"
	ReasonThrottled     = "IAAS_THROTTLED"
	ReasonIaaS          = "IAAS_ERROR"
	ReasonLaunchFailed  = "LAUNCH_FAILED"
	ReasonDisappeared   = "NODE_DISAPPEARED"
	ReasonCtxError      = "CTX_ERROR"
	ReasonCtxTimeout    = "CTX_TIMEOUT"
	ReasonIaaSFailed    = "IAAS_FAILED"
	ReasonUnknownNode   = "UNKNOWN_NODE"
	ReasonNeverLaunched = "TERMINATED_BEFORE_LAUNCH"
)

// Provision stores a launch and its nodes, tells the subscribers, and
// starts launching (reference §5.2 2–3). It is idempotent by launch id:
// the same request again answers the stored launch. An invalid request is
// a 400 naming the field and stores nothing; a launch id or node id used
// by another request is a 409. A disabled provisioner stores the launch
// 950-REJECTED PROVISIONER_DISABLED, an unknown deployable type 900-FAILED
// DTRS_LOOKUP_FAILED, more nodes than max_nodes 950-REJECTED
// MAX_NODES_EXCEEDED; every subscriber is told before any cloud call.
func (p *Provisioner) Provision(ctx context.Context, req epu.ProvisionRequest) (ProvisionResult, error) {
	if err := p.validate(req); err != nil {
		return ProvisionResult{}, err
	}
	l, nodes, created, err := p.store1(ctx, req)
	if err != nil {
		return ProvisionResult{}, err
	}
	res := ProvisionResult{Launch: l.Launch}
	for _, n := range nodes {
		res.Nodes = append(res.Nodes, n.public())
	}
	if !created {
		return res, nil
	}
	for _, n := range nodes {
		p.changed(ctx, l.Subscribers, n, 0)
	}
	switch l.State {
	case epu.Requested:
		p.goWork(func(ctx context.Context) { p.execute(ctx, l.LaunchID) })
	case epu.Failed:
		p.event(ctx, evLaunchFailed, "launch_id", l.LaunchID, "state_desc", l.StateDesc)
	}
	return res, nil
}

// store1 decides the fate of a new request and stores it. created is
// false when the launch was stored before (an idempotent repeat). The
// decision is made under provMu, so max_nodes holds against concurrent
// requests; the records are written after it is let go, so concurrent
// requests share the store's transactions (admitting.go).
func (p *Provisioner) store1(ctx context.Context, req epu.ProvisionRequest) (launchRec, []nodeRec, bool, error) {
	for {
		p.provMu.Lock()
		if a, ok := p.admitting[req.LaunchID]; ok {
			// Another request is storing this launch: answer what it stored.
			p.provMu.Unlock()
			select {
			case <-a.done:
				continue
			case <-ctx.Done():
				return launchRec{}, nil, false, ctx.Err()
			}
		}
		l, nodes, fresh, err := p.decide(ctx, req)
		if err != nil || !fresh {
			p.provMu.Unlock()
			return l, nodes, false, err
		}
		a := p.admit1(l, nodes)
		p.provMu.Unlock()
		err = p.store.CreateLaunch(ctx, l, nodes)
		p.admitted(l.LaunchID, a)
		if err != nil {
			if errors.Is(err, ErrExists) {
				return launchRec{}, nil, false, api.Conflict("%v", err)
			}
			return launchRec{}, nil, false, err
		}
		return l, nodes, true, nil
	}
}

// decide makes the records of a new request (provMu held): fresh is
// false, with the stored records, when the launch exists.
func (p *Provisioner) decide(ctx context.Context, req epu.ProvisionRequest) (launchRec, []nodeRec, bool, error) {
	if old, err := p.store.Launch(ctx, req.LaunchID); err == nil {
		if old.DeployableType != req.DeployableType || !slices.Equal(old.NodeIDs, req.NodeIDs) {
			return launchRec{}, nil, false, api.Conflict("launch %q exists with another deployable type or other node ids", req.LaunchID)
		}
		nodes, err := p.store.LaunchNodes(ctx, req.LaunchID)
		return old, nodes, false, err
	} else if !errors.Is(err, ErrNotFound) {
		return launchRec{}, nil, false, err
	}
	now := p.clock.Now()
	l := launchRec{Launch: epu.Launch{LaunchID: req.LaunchID, DeployableType: req.DeployableType,
		State: epu.Requested, NodeIDs: slices.Clone(req.NodeIDs), Subscribers: slices.Clone(req.Subscribers)},
		Site: req.Site, Allocation: req.Allocation, Vars: maps.Clone(req.Vars), Created: now}
	state, why, err := p.admit(ctx, req)
	if err != nil {
		return launchRec{}, nil, false, err
	}
	l.State, l.StateDesc = state, why
	dt := p.cfg.DeployableTypes[req.DeployableType]
	site, alloc := cmpOr(req.Site, dt.IaaS), cmpOr(req.Allocation, dt.Allocation)
	var drvName string
	if state == epu.Requested {
		if drvName, err = p.drivers.resolve(site, endpointOf(dt, req.Site)); err != nil {
			return launchRec{}, nil, false, api.BadField("site", "%v", err)
		}
	}
	nodes := make([]nodeRec, len(req.NodeIDs))
	for i, id := range req.NodeIDs {
		if _, err := p.store.Node(ctx, id); err == nil {
			return launchRec{}, nil, false, api.Conflict("node %q exists (node_ids[%d])", id, i)
		}
		if other := p.admittingNode(id); other != "" {
			return launchRec{}, nil, false, api.Conflict("node %q is being stored with launch %q (node_ids[%d])", id, other, i)
		}
		n := nodeRec{Index: i, Driver: drvName, Node: epu.Node{NodeID: id, LaunchID: req.LaunchID,
			DeployableType: req.DeployableType, Site: site, Allocation: alloc, Vars: maps.Clone(req.Vars),
			ClientToken: p.clientToken(req.LaunchID, id, i)}}
		n.setState(state, why, now)
		nodes[i] = n
	}
	return l, nodes, true, nil
}

// admit says in which state a new request is stored: REQUESTED, or
// refused or failed with the reason (provMu held).
func (p *Provisioner) admit(ctx context.Context, req epu.ProvisionRequest) (epu.State, string, error) {
	disabled, err := p.store.Disabled(ctx)
	if err != nil {
		return "", "", err
	}
	if disabled {
		return epu.Rejected, ReasonDisabled + ": terminate_all disabled provisioning; enable re-enables it", nil
	}
	if _, ok := p.cfg.DeployableTypes[req.DeployableType]; !ok {
		known := slices.Sorted(maps.Keys(p.cfg.DeployableTypes))
		return epu.Failed, fmt.Sprintf("%s: unknown deployable type %q (known: %s)", ReasonUnknownType, req.DeployableType, strings.Join(known, ", ")), nil
	}
	live, err := p.store.CountLiveWith(ctx, p.admittingLive())
	if err != nil {
		return "", "", err
	}
	if live+len(req.NodeIDs) > p.cfg.MaxNodes {
		return epu.Rejected, fmt.Sprintf("%s: %d nodes may have an instance, %d more would pass max_nodes %d", ReasonMaxNodes, live, len(req.NodeIDs), p.cfg.MaxNodes), nil
	}
	return epu.Requested, "", nil
}

// liveNodes counts the nodes that have, or may get, an instance.
func (p *Provisioner) liveNodes(ctx context.Context) (int, error) {
	return p.store.CountLive(ctx)
}

// clientToken is a node's idempotency token: the run's full id, the
// launch, the node and its index (iaas.ClientToken hashes what is longer
// than a cloud accepts). The same node always gets the same token, so a
// launch repeated after a crash returns the first instance.
func (p *Provisioner) clientToken(launchID, nodeID string, index int) string {
	return iaas.ClientToken(p.cfg.Run.String()+"_"+launchID, nodeID, index)
}

// endpointOf is the iaas_url for a launch on site: the type's, unless the
// request moved it to another site.
func endpointOf(dt DeployableType, site string) string {
	if site != "" && !strings.EqualFold(site, dt.IaaS) {
		return ""
	}
	return dt.IaaSURL
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// byLaunch sorts records by launch and index.
func byLaunch(ns []nodeRec) {
	sort.SliceStable(ns, func(i, j int) bool {
		if ns[i].LaunchID != ns[j].LaunchID {
			return ns[i].LaunchID < ns[j].LaunchID
		}
		return ns[i].Index < ns[j].Index
	})
}

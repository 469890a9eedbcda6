package provisioner

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/iaas"
)

// queryLoop runs Query every query period until ctx ends.
func (p *Provisioner) queryLoop(ctx context.Context) {
	for {
		if err := p.Query(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("query", "error", err)
		}
		if p.clock.Sleep(ctx, p.cfg.QueryPeriod.D()) != nil {
			return
		}
	}
}

// Query asks the clouds about every node with an instance between PENDING
// and TERMINATED and moves the records forward (reference §5.2 4): cloud
// pending → PENDING, running → STARTED, terminating → TERMINATING,
// terminated → TERMINATED, failed → FAILED, unknown → ERROR_RETRYING, each
// only when it is after the node's state. A node the cloud does not know
// is left alone for disappear_after from its pending time, then FAILED
// NODE_DISAPPEARED; a TERMINATING one becomes TERMINATED. Every STARTED
// node is then contextualized (once at a time per node).
func (p *Provisioner) Query(ctx context.Context) error {
	nodes, err := p.store.ViewsWhere(ctx, toQuery)
	if err != nil {
		return err
	}
	byDriver := groupByDriver(nodes)
	var errs []error
	for name, ns := range byDriver {
		if err := p.queryOn(ctx, name, ns); err != nil {
			errs = append(errs, fmt.Errorf("query %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// groupByDriver splits nodes by driver, keeping their order; one
// driver's nodes (the usual case) are not copied.
func groupByDriver(nodes []nodeView) map[string][]nodeView {
	if len(nodes) == 0 {
		return nil
	}
	if !slices.ContainsFunc(nodes, func(n nodeView) bool { return n.Driver != nodes[0].Driver }) {
		return map[string][]nodeView{nodes[0].Driver: nodes}
	}
	out := map[string][]nodeView{}
	for _, n := range nodes {
		out[n.Driver] = append(out[n.Driver], n)
	}
	return out
}

func (p *Provisioner) queryOn(ctx context.Context, name string, ns []nodeView) error {
	drv, err := p.drivers.get(name)
	if err != nil {
		return err
	}
	for _, chunk := range iaas.Chunk(ns, 1000) {
		refs := make([]iaas.Ref, len(chunk))
		for i, n := range chunk {
			refs[i] = iaas.Ref{ID: n.IaaSID, Handle: n.Handle}
		}
		insts, err := drv.Describe(ctx, refs...)
		if err != nil {
			return err
		}
		if len(insts) != len(chunk) {
			return fmt.Errorf("describe of %d instances answered %d", len(chunk), len(insts))
		}
		// What changed is written in one transaction for the chunk.
		var ids []string
		fs := map[string]func(*nodeRec) bool{}
		for i, n := range chunk {
			if f := p.observe(n, insts[i]); f != nil {
				ids = append(ids, n.NodeID)
				fs[n.NodeID] = f
			}
		}
		written := map[string]nodeRec{}
		if len(ids) > 0 {
			recs, err := p.updateNodesEach(ctx, ids, func(r *nodeRec) bool { return fs[r.NodeID](r) })
			if err != nil {
				return err
			}
			for _, r := range recs {
				written[r.NodeID] = r
			}
		}
		for i, n := range chunk {
			rec, ok := written[n.NodeID]
			st := n.State
			if ok {
				st = rec.State
			}
			if st != epu.Started || (!ok && p.isCtxing(n.NodeID)) {
				continue
			}
			if !ok {
				if rec, err = p.store.Node(ctx, n.NodeID); err != nil {
					return err
				}
			}
			p.contextualize(rec, insts[i])
		}
	}
	return nil
}

// observe says what the cloud's view of n's instance changes in its
// record: the change to apply, nil when nothing is new (the usual case).
func (p *Provisioner) observe(n nodeView, inst iaas.Instance) func(r *nodeRec) bool {
	now := p.clock.Now()
	if errors.Is(inst.Err, iaas.ErrNotFound) {
		// The record may have moved since n was read (the terminator
		// found the instance gone too): only a change is written.
		if n.State == epu.Terminating {
			return func(r *nodeRec) bool {
				gone := r.Cloud != cloudGone
				r.Cloud = cloudGone
				return r.setState(epu.Terminated, "", now) || gone
			}
		}
		if now.Sub(n.PendingTime) <= p.cfg.DisappearAfter.D() {
			return nil
		}
		return func(r *nodeRec) bool {
			gone := r.Cloud != cloudGone
			r.Cloud = cloudGone
			if r.State == epu.Terminating || r.State == epu.Terminated {
				// Terminating since n was read: the instance is gone as
				// asked, not disappeared (as for a node seen TERMINATING).
				return r.setState(epu.Terminated, "", now) || gone
			}
			return r.setState(epu.Failed, fmt.Sprintf("%s: the cloud has not known instance %s for more than %s after it was pending", ReasonDisappeared, n.IaaSID, p.cfg.DisappearAfter.D()), now) || gone
		}
	}
	state, why := mapState(inst)
	if !state.After(n.State) && inst.State != iaas.StateTerminated && (inst.Hostname == "" ||
		(inst.Hostname == n.Hostname && inst.PublicIP == n.PublicIP && inst.PrivateIP == n.PrivateIP)) {
		return nil
	}
	return func(r *nodeRec) bool {
		changed := r.setState(state, why, now)
		if inst.State == iaas.StateTerminated && r.Cloud != cloudGone {
			r.Cloud, changed = cloudGone, true
		}
		if inst.Hostname != "" && (inst.Hostname != r.Hostname || inst.PublicIP != r.PublicIP || inst.PrivateIP != r.PrivateIP) {
			r.Hostname, r.PublicIP, r.PrivateIP, changed = inst.Hostname, inst.PublicIP, inst.PrivateIP, true
		}
		return changed
	}
}

// mapState is the node state of a cloud state.
func mapState(inst iaas.Instance) (epu.State, string) {
	switch inst.State {
	case iaas.StatePending:
		return epu.Pending, ""
	case iaas.StateRunning:
		return epu.Started, ""
	case iaas.StateTerminating:
		return epu.Terminating, "the cloud is terminating the instance"
	case iaas.StateTerminated:
		return epu.Terminated, "the cloud says terminated"
	case iaas.StateFailed:
		why := ReasonIaaSFailed
		if inst.Err != nil {
			why += ": " + inst.Err.Error()
		}
		return epu.Failed, why
	}
	return epu.ErrorRetrying, ""
}

// isCtxing reports whether node id is being contextualized.
func (p *Provisioner) isCtxing(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ctxing[id]
}

// contextualize starts the contextualization of a STARTED node unless one
// runs: RUNNING on success, RUNNING_FAILED with the reason otherwise, and
// CTX_TIMEOUT after context_timeout (on the injected clock).
func (p *Provisioner) contextualize(n nodeRec, inst iaas.Instance) {
	p.mu.Lock()
	if p.ctxing[n.NodeID] {
		p.mu.Unlock()
		return
	}
	p.ctxing[n.NodeID] = true
	p.mu.Unlock()
	started := p.goWork(func(ctx context.Context) {
		defer func() {
			p.mu.Lock()
			delete(p.ctxing, n.NodeID)
			p.mu.Unlock()
		}()
		p.runContextualizer(ctx, n, inst)
	})
	if !started {
		p.mu.Lock()
		delete(p.ctxing, n.NodeID)
		p.mu.Unlock()
	}
}

func (p *Provisioner) runContextualizer(ctx context.Context, n nodeRec, inst iaas.Instance) {
	cctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timedOut := errors.New("timeout")
	timer := make(chan struct{})
	go func() {
		defer close(timer)
		if p.clock.Sleep(cctx, p.cfg.ContextTimeout.D()) == nil {
			cancel(timedOut)
		}
	}()
	err := p.ctxz.Contextualize(cctx, n.public(), inst, p.cfg.DeployableTypes[n.DeployableType])
	timeout := errors.Is(context.Cause(cctx), timedOut)
	cancel(nil)
	<-timer
	if ctx.Err() != nil {
		return // shutting down: still STARTED, contextualized again at the next start
	}
	state, why := epu.Running, ""
	switch {
	case timeout:
		state, why = epu.RunningFailed, fmt.Sprintf("%s: not ready within context_timeout %s", ReasonCtxTimeout, p.cfg.ContextTimeout.D())
	case err != nil:
		state, why = epu.RunningFailed, ReasonCtxError+": "+err.Error()
	}
	if _, _, err := p.updateNode(ctx, n.NodeID, func(r *nodeRec) bool { return r.setState(state, why, p.clock.Now()) }); err != nil {
		p.log.Error("record contextualization", "node_id", n.NodeID, "error", err)
		return
	}
	if state == epu.Running {
		p.launchRunning(ctx, n.LaunchID)
	}
}

// launchRunning marks a PENDING launch RUNNING once every node is RUNNING
// (counted in the store's image: no record is read).
func (p *Provisioner) launchRunning(ctx context.Context, launchID string) {
	if l, err := p.store.Launch(ctx, launchID); err != nil || l.State != epu.Pending || !p.allRunning(ctx, launchID) {
		return // checked again in the update: a launch not PENDING yet is marked by launchPending
	}
	l, changed, err := p.store.UpdateLaunch(ctx, launchID, func(l *launchRec) bool {
		return l.State == epu.Pending && l.setState(epu.Running, "")
	})
	if err == nil && changed {
		p.event(ctx, evLaunchRunning, "launch_id", l.LaunchID)
	}
}

// launchPending marks a launch whose nodes are launched PENDING, and
// RUNNING in the same write when every node is RUNNING already.
func (p *Provisioner) launchPending(ctx context.Context, launchID string) {
	running := p.allRunning(ctx, launchID)
	l, changed, err := p.store.UpdateLaunch(ctx, launchID, func(l *launchRec) bool {
		moved := l.setState(epu.Pending, "")
		if running && l.State == epu.Pending {
			moved = l.setState(epu.Running, "") || moved
		}
		return moved
	})
	if err == nil && changed && l.State == epu.Running {
		p.event(ctx, evLaunchRunning, "launch_id", l.LaunchID)
	}
	if !running {
		p.launchRunning(ctx, launchID) // the last node may have become RUNNING since it was counted
	}
}

// allRunning reports whether a launch has nodes, all RUNNING.
func (p *Provisioner) allRunning(ctx context.Context, launchID string) bool {
	all, err := p.store.CountNodes(ctx, NodeFilter{LaunchID: launchID})
	if err != nil || all == 0 {
		return false
	}
	running, err := p.store.CountNodes(ctx, NodeFilter{LaunchID: launchID, From: epu.Running, To: epu.RunningFailed})
	return err == nil && running == all
}

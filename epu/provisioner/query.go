package provisioner

import (
	"context"
	"errors"
	"fmt"

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
	byDriver := map[string][]nodeView{}
	for _, n := range nodes {
		byDriver[n.Driver] = append(byDriver[n.Driver], n)
	}
	var errs []error
	for name, ns := range byDriver {
		if err := p.queryOn(ctx, name, ns); err != nil {
			errs = append(errs, fmt.Errorf("query %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
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
		for i, n := range chunk {
			st, rec, err := p.observe(ctx, n, insts[i])
			if err != nil {
				return err
			}
			if st != epu.Started || (rec == nil && p.isCtxing(n.NodeID)) {
				continue
			}
			if rec == nil {
				r, err := p.store.Node(ctx, n.NodeID)
				if err != nil {
					return err
				}
				rec = &r
			}
			p.contextualize(*rec, insts[i])
		}
	}
	return nil
}

// observe applies what the cloud says of n's instance; it returns the
// node's state after, and its record when it wrote one.
func (p *Provisioner) observe(ctx context.Context, n nodeView, inst iaas.Instance) (epu.State, *nodeRec, error) {
	now := p.clock.Now()
	apply := func(f func(r *nodeRec) bool) (epu.State, *nodeRec, error) {
		rec, _, err := p.updateNode(ctx, n.NodeID, f)
		if err != nil {
			return n.State, nil, err
		}
		return rec.State, &rec, nil
	}
	if errors.Is(inst.Err, iaas.ErrNotFound) {
		if n.State == epu.Terminating {
			return apply(func(r *nodeRec) bool {
				r.Cloud = cloudGone
				r.setState(epu.Terminated, "", now)
				return true
			})
		}
		if now.Sub(n.PendingTime) <= p.cfg.DisappearAfter.D() {
			return n.State, nil, nil
		}
		return apply(func(r *nodeRec) bool {
			r.Cloud = cloudGone
			r.setState(epu.Failed, fmt.Sprintf("%s: the cloud has not known instance %s for more than %s after it was pending", ReasonDisappeared, n.IaaSID, p.cfg.DisappearAfter.D()), now)
			return true
		})
	}
	state, why := mapState(inst)
	if !state.After(n.State) && inst.State != iaas.StateTerminated && (inst.Hostname == "" ||
		(inst.Hostname == n.Hostname && inst.PublicIP == n.PublicIP && inst.PrivateIP == n.PrivateIP)) {
		return n.State, nil, nil // nothing new (the usual case): no write
	}
	return apply(func(r *nodeRec) bool {
		changed := r.setState(state, why, now)
		if inst.State == iaas.StateTerminated {
			r.Cloud, changed = cloudGone, true
		}
		if inst.Hostname != "" && (inst.Hostname != r.Hostname || inst.PublicIP != r.PublicIP || inst.PrivateIP != r.PrivateIP) {
			r.Hostname, r.PublicIP, r.PrivateIP, changed = inst.Hostname, inst.PublicIP, inst.PrivateIP, true
		}
		return changed
	})
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
// (counted in the store: no record is read).
func (p *Provisioner) launchRunning(ctx context.Context, launchID string) {
	all, err := p.store.CountNodes(ctx, NodeFilter{LaunchID: launchID})
	if err != nil || all == 0 {
		return
	}
	running, err := p.store.CountNodes(ctx, NodeFilter{LaunchID: launchID, From: epu.Running, To: epu.RunningFailed})
	if err != nil || running != all {
		return
	}
	l, changed, err := p.store.UpdateLaunch(ctx, launchID, func(l *launchRec) bool {
		return l.State == epu.Pending && l.setState(epu.Running, "")
	})
	if err == nil && changed {
		p.event(ctx, evLaunchRunning, "launch_id", l.LaunchID)
	}
}

package provisioner

import (
	"context"
	"fmt"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/iaas"
)

// terminatorLoop destroys instances when woken (a termination, a failed
// launch) and every query period, until ctx ends.
func (p *Provisioner) terminatorLoop(ctx context.Context) {
	for {
		if err := p.terminatePass(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("terminator", "error", err)
		}
		tctx, cancel := context.WithCancel(ctx)
		tick := make(chan struct{})
		go func() {
			defer close(tick)
			_ = p.clock.Sleep(tctx, p.cfg.QueryPeriod.D())
		}()
		select {
		case <-ctx.Done():
		case <-p.kick:
		case <-tick:
		}
		cancel()
		<-tick
		if ctx.Err() != nil {
			return
		}
	}
}

// terminatePass destroys the instances of TERMINATING nodes and of final
// nodes whose instance may exist, then marks them: TERMINATING nodes
// TERMINATED, every instance gone. A node whose launch call is in flight
// is left to that call. An instance whose id was never recorded (an
// intent without an answer) is looked up by its client token
// (iaas.RunFinder); none found means none exists. Launches TERMINATING
// whose nodes are all done become TERMINATED.
func (p *Provisioner) terminatePass(ctx context.Context) error {
	// The usual pass (every query period) has no node to terminate: the
	// store's counts say so without reading every record.
	if n, err := p.store.CountToTerminate(ctx); err != nil {
		return err
	} else if n == 0 {
		return p.settleLaunches(ctx)
	}
	nodes, err := p.store.NodesWhere(ctx, terminating)
	if err != nil {
		return err
	}
	maybe, err := p.store.NodesWhere(ctx, finalMaybe)
	if err != nil {
		return err
	}
	byDriver := map[string][]nodeRec{}
	for _, n := range append(nodes, maybe...) {
		if !p.isInflight(n.NodeID) {
			byDriver[n.Driver] = append(byDriver[n.Driver], n)
		}
	}
	var firstErr error
	for name, ns := range byDriver {
		if err := p.terminateOn(ctx, name, ns); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if err := p.settleLaunches(ctx); err != nil && firstErr == nil {
		firstErr = err
	}
	return firstErr
}

// terminateOn destroys the instances of nodes ns, all on driver name.
func (p *Provisioner) terminateOn(ctx context.Context, name string, ns []nodeRec) error {
	var refs []iaas.Ref
	var done []nodeRec
	var intents []nodeRec
	for _, n := range ns {
		switch n.Cloud {
		case cloudLive:
			refs = append(refs, iaas.Ref{ID: n.IaaSID, Handle: n.Handle})
			done = append(done, n)
		case cloudIntent:
			intents = append(intents, n)
		default:
			done = append(done, n) // no instance: only the record moves
		}
	}
	if name == "" && (len(refs) > 0 || len(intents) > 0) {
		return fmt.Errorf("nodes without a driver have instances")
	}
	var drv iaas.Driver
	if name != "" {
		var err error
		if drv, err = p.drivers.get(name); err != nil {
			return err
		}
	}
	if len(intents) > 0 {
		found, err := p.findByToken(ctx, drv)
		if err != nil {
			return fmt.Errorf("look for instances of launch intents: %w", err)
		}
		for _, n := range intents {
			if inst, ok := found[n.ClientToken]; ok {
				refs = append(refs, iaas.Ref{ID: inst.ID, Handle: inst.Handle})
				n.IaaSID = inst.ID
			}
			done = append(done, n)
		}
	}
	if len(refs) > 0 {
		p.runShutdownPrograms(ctx, drv, done)
		for _, chunk := range iaas.Chunk(refs, 500) {
			if err := drv.Terminate(ctx, chunk...); err != nil {
				return fmt.Errorf("terminate %d instances on %s: %w", len(chunk), name, err)
			}
		}
	}
	now := p.clock.Now()
	found := map[string]string{} // node id -> instance found by token
	ids := make([]string, len(done))
	for i, n := range done {
		ids[i], found[n.NodeID] = n.NodeID, n.IaaSID
	}
	// A node the query pass found gone meanwhile (TERMINATED, no
	// instance) is not written, pushed or logged again.
	_, err := p.updateNodes(ctx, ids, func(r *nodeRec) bool {
		changed := false
		if r.Cloud == cloudIntent && r.IaaSID == "" && found[r.NodeID] != "" {
			r.IaaSID, changed = found[r.NodeID], true
		}
		if r.Cloud != cloudGone {
			r.Cloud, changed = cloudGone, true
		}
		return r.setState(epu.Terminated, "", now) || changed
	})
	return err
}

// findByToken returns the run's instances on drv that this provisioner
// owns and that are not terminated, by client token.
func (p *Provisioner) findByToken(ctx context.Context, drv iaas.Driver) (map[string]iaas.Instance, error) {
	rf, ok := iaas.As[iaas.RunFinder](drv)
	if !ok {
		return nil, fmt.Errorf("driver %s cannot list a run's instances (no iaas.RunFinder): an instance whose launch answer was lost cannot be found", drv.Name())
	}
	insts, err := rf.FindByRun(ctx, p.cfg.Run)
	if err != nil {
		return nil, err
	}
	out := map[string]iaas.Instance{}
	for _, in := range insts {
		if p.cfg.Run.Claims(in, nil) && in.Owner == p.cfg.Service && in.ClientToken != "" && !in.State.Final() {
			out[in.ClientToken] = in
		}
	}
	return out, nil
}

// settleLaunches marks TERMINATED the TERMINATING launches none of whose
// nodes can still have an instance.
func (p *Provisioner) settleLaunches(ctx context.Context) error {
	ids, err := p.store.SettledLaunches(ctx)
	if err != nil || len(ids) == 0 {
		return err
	}
	p.mu.Lock()
	inflight := len(p.inflight)
	p.mu.Unlock()
	if inflight > 0 {
		// A node's call in flight has its intent recorded (so its launch
		// is not settled) unless it is about to be refused: settle after.
		ids = p.withoutInflight(ctx, ids)
	}
	return p.updateLaunches(ctx, ids, epu.Terminated, "")
}

// withoutInflight drops the launches with a node whose call is in flight.
func (p *Provisioner) withoutInflight(ctx context.Context, ids []string) []string {
	var out []string
	for _, id := range ids {
		nodes, err := p.store.LaunchNodes(ctx, id)
		busy := err != nil
		for _, n := range nodes {
			busy = busy || p.isInflight(n.NodeID)
		}
		if !busy {
			out = append(out, id)
		}
	}
	return out
}

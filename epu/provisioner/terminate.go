package provisioner

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
)

// TerminateNodes marks the nodes TERMINATING (pushed to subscribers) and
// hands them to the terminator, which destroys their instances and marks
// them TERMINATED (reference §5.2 6). A node that never had a launch call
// becomes TERMINATED at once; a node already TERMINATING or beyond is left
// as it is; an unknown id is logged and gets a stub TERMINATED record.
// It answers the records after the change.
func (p *Provisioner) TerminateNodes(ctx context.Context, ids []string) ([]epu.Node, error) {
	for i, id := range ids {
		if err := checkID(fmt.Sprintf("node_ids[%d]", i), id); err != nil {
			return nil, err
		}
	}
	out := make([]epu.Node, 0, len(ids))
	for _, id := range ids {
		rec, err := p.terminateNode(ctx, id)
		if errors.Is(err, ErrNotFound) {
			rec, err = p.stub(ctx, id)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rec.public())
	}
	p.wake()
	return out, nil
}

// terminateNode moves one node toward TERMINATED.
func (p *Provisioner) terminateNode(ctx context.Context, id string) (nodeRec, error) {
	inflight := p.isInflight(id)
	rec, _, err := p.updateNode(ctx, id, func(r *nodeRec) bool {
		if !r.State.Before(epu.Terminating) {
			return false
		}
		now := p.clock.Now()
		if r.Cloud == cloudNone && !inflight {
			return r.setState(epu.Terminated, ReasonNeverLaunched, now)
		}
		return r.setState(epu.Terminating, "terminate requested", now)
	})
	return rec, err
}

// stub records a terminate of an unknown node as TERMINATED.
func (p *Provisioner) stub(ctx context.Context, id string) (nodeRec, error) {
	p.log.Warn("terminate of an unknown node: a stub TERMINATED record is stored", "node_id", id)
	n := nodeRec{Node: epu.Node{NodeID: id}}
	n.setState(epu.Terminated, ReasonUnknownNode+": the provisioner had no record of this node", p.clock.Now())
	if err := p.store.InsertNode(ctx, n); err != nil && !errors.Is(err, ErrExists) {
		return n, err
	}
	return p.store.Node(ctx, id)
}

// TerminateLaunches marks each launch TERMINATING and terminates its
// nodes; the terminator marks the launch TERMINATED once none of its
// instances can exist. An unknown launch id is a 404 and nothing is done.
func (p *Provisioner) TerminateLaunches(ctx context.Context, ids []string) ([]epu.Launch, error) {
	for i, id := range ids {
		if _, err := p.store.Launch(ctx, id); errors.Is(err, ErrNotFound) {
			return nil, api.NotFound(fmt.Sprintf("launch_ids[%d]", i), "unknown launch %q", id)
		} else if err != nil {
			return nil, err
		}
	}
	out := make([]epu.Launch, 0, len(ids))
	for _, id := range ids {
		l, err := p.terminateLaunch(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, l.Launch)
	}
	p.wake()
	return out, nil
}

func (p *Provisioner) terminateLaunch(ctx context.Context, id string) (launchRec, error) {
	l, _, err := p.updateLaunch(ctx, id, epu.Terminating, "terminate requested")
	if err != nil {
		return l, err
	}
	return l, p.terminateNodes(ctx, l.NodeIDs)
}

// terminateNodes is terminateNode for many nodes, in one transaction.
func (p *Provisioner) terminateNodes(ctx context.Context, ids []string) error {
	p.mu.Lock()
	inflight := maps.Clone(p.inflight)
	p.mu.Unlock()
	_, err := p.updateNodes(ctx, ids, func(r *nodeRec) bool {
		if !r.State.Before(epu.Terminating) {
			return false
		}
		now := p.clock.Now()
		if r.Cloud == cloudNone && !inflight[r.NodeID] {
			return r.setState(epu.Terminated, ReasonNeverLaunched, now)
		}
		return r.setState(epu.Terminating, "terminate requested", now)
	})
	return err
}

// TerminateAll disables provisioning (persistently: a restart keeps it
// until Enable) and terminates every launch and node (reference §5.2 7).
// Done is true only when no instance of any launch can still exist: no
// node short of a final state, none whose instance may exist (a launch
// intent without an answer, a FAILED node whose instance was not
// terminated), no launch call in flight. Calling it again is safe; the
// caller polls until Done.
func (p *Provisioner) TerminateAll(ctx context.Context) (epu.TerminateAllResult, error) {
	if err := p.store.SetDisabled(ctx, true); err != nil {
		return epu.TerminateAllResult{}, err
	}
	launches, err := p.store.LaunchesIn(ctx, "", epu.Terminating)
	if err != nil {
		return epu.TerminateAllResult{}, err
	}
	lids := make([]string, len(launches))
	for i, l := range launches {
		lids[i] = l.LaunchID
	}
	if err := p.updateLaunches(ctx, lids, epu.Terminating, "terminate_all"); err != nil {
		return epu.TerminateAllResult{}, err
	}
	nodes, err := p.store.NodesWhere(ctx, beforeTerm)
	if err != nil {
		return epu.TerminateAllResult{}, err
	}
	nids := make([]string, len(nodes))
	for i, n := range nodes {
		nids[i] = n.NodeID
	}
	if err := p.terminateNodes(ctx, nids); err != nil {
		return epu.TerminateAllResult{}, err
	}
	p.wake()
	return p.remaining(ctx)
}

// remaining counts the nodes an instance of which may still exist.
// A REQUESTED launch being stored counts: it may get instances. It is
// read first: a launch that is no longer being stored is in the store
// when the count is read, and one admitted after found provisioning
// disabled.
func (p *Provisioner) remaining(ctx context.Context) (epu.TerminateAllResult, error) {
	storing := p.storingLive()
	n, err := p.liveNodes(ctx)
	if err != nil {
		return epu.TerminateAllResult{}, err
	}
	open, err := p.store.CountLaunches(ctx, "", epu.Terminated)
	if err != nil {
		return epu.TerminateAllResult{}, err
	}
	p.mu.Lock()
	inflight := len(p.inflight)
	p.mu.Unlock()
	n += storing
	return epu.TerminateAllResult{Done: n == 0 && open == 0 && inflight == 0, Remaining: n}, nil
}

// Enable lets provisioning start again after TerminateAll.
func (p *Provisioner) Enable(ctx context.Context) error { return p.store.SetDisabled(ctx, false) }

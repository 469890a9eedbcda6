package provisioner

import (
	"context"
	"errors"

	"github.com/cloudinitd/cloudinitd/epu"
)

// updateNode applies f to node id in the store; when the record changed
// in a way subscribers see (its state, addresses or instance), it writes
// the event of a new state and pushes the record. It returns the record
// as stored and whether its state moved.
func (p *Provisioner) updateNode(ctx context.Context, id string, f func(*nodeRec) bool) (nodeRec, bool, error) {
	var before nodeRec
	rec, changed, err := p.store.UpdateNode(ctx, id, func(n *nodeRec) bool {
		before = *n
		return f(n)
	})
	if err != nil || !changed {
		return rec, false, err
	}
	return rec, p.announce(ctx, before, rec), nil
}

// updateNodesEach is updateNode for many nodes in one transaction: it
// returns the records it wrote (unknown ids are skipped).
func (p *Provisioner) updateNodesEach(ctx context.Context, ids []string, f func(*nodeRec) bool) ([]nodeRec, error) {
	before := map[string]nodeRec{}
	recs, err := p.store.UpdateNodes(ctx, ids, func(n *nodeRec) bool {
		before[n.NodeID] = *n
		return f(n)
	})
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		p.announce(ctx, before[rec.NodeID], rec)
	}
	return recs, nil
}

// announce tells of a record written (before it was before): the events
// of its new states and a push when subscribers see a change. It reports
// whether its state moved.
func (p *Provisioner) announce(ctx context.Context, before, rec nodeRec) bool {
	moved := rec.State != before.State
	if moved || rec.IaaSID != before.IaaSID || rec.Hostname != before.Hostname ||
		rec.PublicIP != before.PublicIP || rec.PrivateIP != before.PrivateIP {
		subs, err := p.subscribers(ctx, rec.LaunchID)
		if err != nil {
			p.log.Warn("subscribers of launch", "launch_id", rec.LaunchID, "error", err)
		}
		if moved {
			p.changed(ctx, subs, rec, len(before.StateChanges))
		} else {
			p.pushAll(subs, rec)
		}
	}
	return moved
}

// updateNodes is updateNode for many nodes in one transaction; it
// returns the records whose state moved.
func (p *Provisioner) updateNodes(ctx context.Context, ids []string, f func(*nodeRec) bool) ([]nodeRec, error) {
	before := map[string]epu.State{}
	seen := map[string]int{} // state changes before
	recs, err := p.store.UpdateNodes(ctx, ids, func(n *nodeRec) bool {
		before[n.NodeID], seen[n.NodeID] = n.State, len(n.StateChanges)
		return f(n)
	})
	if err != nil {
		return nil, err
	}
	var moved []nodeRec
	for _, rec := range recs {
		subs, err := p.subscribers(ctx, rec.LaunchID)
		if err != nil {
			p.log.Warn("subscribers of launch", "launch_id", rec.LaunchID, "error", err)
		}
		if rec.State != before[rec.NodeID] {
			p.changed(ctx, subs, rec, seen[rec.NodeID])
			moved = append(moved, rec)
		} else {
			p.pushAll(subs, rec)
		}
	}
	return moved, nil
}

// changed writes the event of each state n reached since its history had
// from changes, and pushes n to subs.
func (p *Provisioner) changed(ctx context.Context, subs []epu.Subscriber, n nodeRec, from int) {
	for _, c := range n.StateChanges[min(from, len(n.StateChanges)):] {
		if ev := stateEvent(c.State); ev != "" {
			at := n.Node
			at.State = c.State
			p.nodeEvent(ctx, ev, at)
		}
	}
	p.pushAll(subs, n)
}

// pushAll queues n's public record for every subscriber.
func (p *Provisioner) pushAll(subs []epu.Subscriber, n nodeRec) {
	pub := n.public()
	for _, s := range subs {
		p.notifier.push(s, pub)
	}
}

// subscribers returns a launch's subscribers (none for a node outside any
// launch), cached. They change only when resubscribe moves one, which
// updates the cache: a miss read before that move does not overwrite it.
func (p *Provisioner) subscribers(ctx context.Context, launchID string) ([]epu.Subscriber, error) {
	if launchID == "" {
		return nil, nil
	}
	p.subsMu.Lock()
	subs, ok := p.subs[launchID]
	p.subsMu.Unlock()
	if ok {
		return subs, nil
	}
	l, err := p.store.Launch(ctx, launchID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p.subsMu.Lock()
	defer p.subsMu.Unlock()
	if subs, ok := p.subs[launchID]; ok {
		return subs, nil
	}
	p.subs[launchID] = l.Subscribers
	return l.Subscribers, nil
}

// updateLaunch sets a launch's state (forward only) and writes its event.
func (p *Provisioner) updateLaunch(ctx context.Context, id string, s epu.State, why string) (launchRec, bool, error) {
	l, changed, err := p.store.UpdateLaunch(ctx, id, func(l *launchRec) bool { return l.setState(s, why) })
	if err != nil || !changed {
		return l, false, err
	}
	switch s {
	case epu.Failed:
		p.event(ctx, evLaunchFailed, "launch_id", id, "state_desc", why)
	case epu.Running:
		p.event(ctx, evLaunchRunning, "launch_id", id)
	}
	return l, true, nil
}

// updateLaunches sets launches' state (forward only) in one transaction
// and writes their events.
func (p *Provisioner) updateLaunches(ctx context.Context, ids []string, s epu.State, why string) error {
	recs, err := p.store.UpdateLaunches(ctx, ids, func(l *launchRec) bool { return l.setState(s, why) })
	for _, l := range recs {
		switch s {
		case epu.Failed:
			p.event(ctx, evLaunchFailed, "launch_id", l.LaunchID, "state_desc", why)
		case epu.Running:
			p.event(ctx, evLaunchRunning, "launch_id", l.LaunchID)
		}
	}
	return err
}

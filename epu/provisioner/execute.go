package provisioner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/iaas"
)

// Tags every worker carries (LaunchSpec.Tags), besides its run and owner.
const (
	TagLaunch         = "launch_id"
	TagNode           = "node_id"
	TagDeployableType = "deployable_type"
	TagSubscribers    = "subscribers" // service=url,service=url (when it fits a tag)
)

// execute launches the nodes of a REQUESTED launch that have no instance
// yet, each with one driver Launch and its own client token, at most
// launch_concurrency calls at once (reference §5.2 3). A node's failure
// stops the nodes not yet started (they fail LAUNCH_FAILED) and fails the
// launch; otherwise the launch becomes PENDING. Nodes already PENDING or
// beyond are left alone, so re-executing after a restart is safe.
func (p *Provisioner) execute(ctx context.Context, launchID string) {
	l, err := p.store.Launch(ctx, launchID)
	if err != nil {
		p.log.Error("execute launch", "launch_id", launchID, "error", err)
		return
	}
	if l.State != epu.Requested {
		return
	}
	nodes, err := p.store.LaunchNodes(ctx, launchID)
	if err != nil {
		p.log.Error("execute launch", "launch_id", launchID, "error", err)
		return
	}
	dt := p.cfg.DeployableTypes[l.DeployableType]
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed string // the first node failure
	)
	for _, n := range nodes {
		if !n.State.Before(epu.Pending) {
			continue
		}
		if err := p.waitBackoff(ctx, n); err != nil {
			break // shutting down: recovery re-executes
		}
		mu.Lock()
		why := failed
		mu.Unlock()
		if why != "" {
			p.updateNode(ctx, n.NodeID, func(r *nodeRec) bool {
				return r.setState(epu.Failed, ReasonLaunchFailed+": "+why, p.clock.Now())
			})
			p.wake() // an intent from before a restart: the terminator looks for its instance
			continue
		}
		select {
		case p.launch <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-p.launch }()
			if err := p.launchNode(ctx, l, n, dt); err != nil {
				mu.Lock()
				if failed == "" {
					failed = fmt.Sprintf("node %s: %v", n.NodeID, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return
	}
	if failed != "" {
		p.updateLaunch(ctx, launchID, epu.Failed, failed)
		return
	}
	p.launchPending(ctx, launchID) // RUNNING too when its nodes all are already
}

// waitBackoff waits while launches of dt on site back off.
// The node's state_desc says so meanwhile.
func (p *Provisioner) waitBackoff(ctx context.Context, n nodeRec) error {
	for {
		until, why, ok := p.backoffs.active(n.DeployableType, n.Site)
		if !ok {
			return nil
		}
		desc := fmt.Sprintf("BACKOFF: launches of %s on %s wait until %s after: %s", n.DeployableType, n.Site, until.UTC().Format(time.RFC3339), why)
		p.store.UpdateNode(ctx, n.NodeID, func(r *nodeRec) bool {
			if r.State != epu.Requested || r.StateDesc == desc {
				return false
			}
			r.StateDesc = desc
			return true
		})
		if err := p.clock.Sleep(ctx, until.Sub(p.clock.Now())); err != nil {
			return err
		}
	}
}

// launchNode records the intent, makes the node's one Launch call and
// records the answer: PENDING with the instance, or FAILED with the
// reason. It returns the cloud's error. A node terminated meanwhile is
// not launched; one terminated during the call is handed to the
// terminator once its instance is recorded.
func (p *Provisioner) launchNode(ctx context.Context, l launchRec, n nodeRec, dt DeployableType) error {
	p.setInflight(n.NodeID, true)
	defer func() {
		// The terminator skips a node whose call is in flight: once the
		// call is over, a node terminated meanwhile is its again.
		p.setInflight(n.NodeID, false)
		if r, err := p.store.Node(context.WithoutCancel(ctx), n.NodeID); err == nil && (r.State == epu.Terminating || (r.State.Final() && r.Cloud.mayExist())) {
			p.wake()
		}
	}()
	rec, changed, err := p.store.UpdateNode(ctx, n.NodeID, func(r *nodeRec) bool {
		if !r.State.Before(epu.Pending) || r.Cloud == cloudLive {
			return false
		}
		r.Cloud = cloudIntent
		return true
	})
	if err != nil {
		p.log.Error("record launch intent", "node_id", n.NodeID, "error", err)
		return nil // not the cloud's failure: recovery tries again
	}
	if !changed {
		return nil
	}
	drv, err := p.drivers.get(rec.Driver)
	if err != nil {
		p.failLaunch(ctx, rec, err, false)
		return err
	}
	spec := p.spec(l, rec, dt)
	p.drivers.scope(drv, spec)
	inst, err := drv.Launch(ctx, spec)
	if err != nil {
		if ctx.Err() != nil {
			return nil // shutting down: the intent stays, recovery relaunches with the token
		}
		p.failLaunch(ctx, rec, err, !refused(err))
		return err
	}
	now := p.clock.Now()
	rec, _, err = p.updateNode(context.WithoutCancel(ctx), n.NodeID, func(r *nodeRec) bool {
		r.Cloud, r.IaaSID, r.Handle = cloudLive, inst.ID, inst.Handle
		r.Hostname, r.PublicIP, r.PrivateIP = inst.Hostname, inst.PublicIP, inst.PrivateIP
		r.PendingTime = now
		if r.setState(epu.Pending, "", now) && inst.State == iaas.StateRunning {
			r.setState(epu.Started, "", now) // the cloud says it runs already
		}
		return true // the instance is recorded even when terminated meanwhile
	})
	if err != nil {
		p.log.Error("record launched instance", "node_id", n.NodeID, "iaas_id", inst.ID, "error", err)
		return nil
	}
	if rec.State == epu.Started {
		p.contextualize(rec, inst)
	}
	return nil
}

// refused reports whether a launch error means the cloud started nothing.
func refused(err error) bool {
	for _, c := range []error{iaas.ErrPermanent, iaas.ErrCapacity, iaas.ErrThrottled, iaas.ErrNotFound, iaas.ErrNotImplemented} {
		if errors.Is(err, c) {
			return true
		}
	}
	return false
}

// failLaunch marks a node FAILED after its launch call failed, notes the
// back-off, and keeps the intent when an instance may exist (the
// terminator looks for it by token).
func (p *Provisioner) failLaunch(ctx context.Context, n nodeRec, err error, mayExist bool) {
	reason := ReasonIaaS
	switch {
	case errors.Is(err, iaas.ErrCapacity):
		reason = ReasonCapacity
	case errors.Is(err, iaas.ErrThrottled):
		reason = ReasonThrottled
	}
	if d := p.backoffs.note(n.DeployableType, n.Site, err); d > 0 {
		p.event(ctx, evBackoff, "deployable_type", n.DeployableType, "site", n.Site, "for", d.String(), "error", err.Error())
	}
	p.updateNode(context.WithoutCancel(ctx), n.NodeID, func(r *nodeRec) bool {
		if !mayExist && r.Cloud == cloudIntent {
			r.Cloud = cloudNone
		}
		r.setState(epu.Failed, reason+": "+err.Error(), p.clock.Now())
		return true
	})
}

// spec is the launch request of node n.
func (p *Provisioner) spec(l launchRec, n nodeRec, dt DeployableType) iaas.LaunchSpec {
	spec := iaas.LaunchSpec{Run: p.cfg.Run, Service: n.NodeID, Attempt: 1, Owner: p.cfg.Service,
		ClientToken: n.ClientToken, Image: dt.Image, Allocation: n.Allocation,
		Endpoint: endpointOf(dt, l.Site), Options: map[string]string{},
		Tags: map[string]string{TagLaunch: n.LaunchID, TagNode: n.NodeID, TagDeployableType: n.DeployableType}}
	if !strings.EqualFold(n.Site, n.Driver) {
		spec.Region = n.Site
	}
	for k, v := range dt.Options {
		spec.Options[k] = v
	}
	if subs := subscribersTag(l.Subscribers); subs != "" {
		spec.Tags[TagSubscribers] = subs
	}
	return spec
}

// subscribersTag writes subscribers as service=url,… when that fits a tag
// (256 characters); "" otherwise (adoption then has none).
func subscribersTag(subs []epu.Subscriber) string {
	var parts []string
	for _, s := range subs {
		parts = append(parts, s.Service+"="+s.URL)
	}
	t := strings.Join(parts, ",")
	if len(t) > 256 {
		return ""
	}
	return t
}

// parseSubscribersTag reads subscribersTag's text.
func parseSubscribersTag(t string) []epu.Subscriber {
	var out []epu.Subscriber
	for _, part := range strings.Split(t, ",") {
		svc, u, ok := strings.Cut(part, "=")
		if ok && checkSubscriber("", epu.Subscriber{Service: svc, URL: u}) == nil {
			out = append(out, epu.Subscriber{Service: svc, URL: u})
		}
	}
	return out
}

func (p *Provisioner) setInflight(id string, on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on {
		p.inflight[id] = true
	} else {
		delete(p.inflight, id)
	}
}

func (p *Provisioner) isInflight(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inflight[id]
}

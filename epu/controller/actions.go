package controller

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
)

// callTimeout bounds one provisioner call.
const callTimeout = 30 * time.Second

type actionKind int

const (
	launchAction actionKind = iota
	terminateAction
	dumpAction
)

func (k actionKind) String() string {
	return [...]string{"provision", "terminate_nodes", "dump_state"}[k]
}

// action is a provisioner call the domain owes: queued by the engine's
// Control (or by recovery), sent by the loop, and sent again no sooner
// than retry_period after a failed call.
type action struct {
	kind    actionKind
	req     epu.ProvisionRequest // launchAction, without heartbeat_dest and subscribers (added when sent)
	ids     []string             // terminateAction, dumpAction
	nextTry time.Time
	tries   int
}

// queue adds an action, due now. Callers hold mu.
func (d *domain) queue(a *action) {
	a.nextTry = d.env.clock.Now()
	d.pending = append(d.pending, a)
}

// due removes the actions made moot by what the provisioner said since
// (a launch it acknowledged, an instance ended) and returns those due at
// now. A termination of an instance TERMINATING is still sent: it may be
// stuck there. Callers hold mu.
func (d *domain) due(now time.Time) []*action {
	var out []*action
	d.pending = slices.DeleteFunc(d.pending, func(a *action) bool {
		switch a.kind {
		case launchAction:
			if in, ok := d.instances[a.req.NodeIDs[0]]; !ok || in.State != epu.Requesting {
				return true
			}
		case terminateAction:
			a.ids = slices.DeleteFunc(a.ids, func(id string) bool {
				in, ok := d.instances[id]
				return !ok || in.State.Final()
			})
			if len(a.ids) == 0 {
				return true
			}
		}
		if !a.nextTry.After(now) {
			out = append(out, a)
		}
		return false
	})
	return out
}

// nextDue returns when the earliest pending action is due; ok is false
// when none is pending.
func (d *domain) nextDue() (t time.Time, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, a := range d.pending {
		if !ok || a.nextTry.Before(t) {
			t, ok = a.nextTry, true
		}
	}
	return t, ok
}

// flush sends the due actions, outside the domain's slot. Only the
// domain's loop calls it.
func (d *domain) flush(ctx context.Context) {
	d.mu.Lock()
	todo := d.due(d.env.clock.Now())
	d.mu.Unlock()
	for _, a := range todo {
		if ctx.Err() != nil {
			return
		}
		err := d.send(ctx, a)
		d.mu.Lock()
		if err == nil {
			d.pending = slices.DeleteFunc(d.pending, func(x *action) bool { return x == a })
		} else {
			a.tries++
			a.nextTry = d.env.clock.Now().Add(d.env.retryPeriod)
		}
		d.mu.Unlock()
		if err != nil {
			d.logger().Warn("provisioner call failed; sent again later", "event", "provisioner_call_failed", "call", a.kind.String(),
				"node_ids", a.nodeIDs(), "tries", a.tries, "retry_in", d.env.retryPeriod.String(), "error", err.Error())
		}
	}
}

func (a *action) nodeIDs() []string {
	if a.kind == launchAction {
		return a.req.NodeIDs
	}
	return a.ids
}

// send makes the provisioner call of a.
func (d *domain) send(ctx context.Context, a *action) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	self := d.env.self
	switch a.kind {
	case launchAction:
		req := a.req
		req.Vars = maps.Clone(req.Vars)
		req.Vars["heartbeat_dest"] = self.URL
		req.Subscribers = []epu.Subscriber{self}
		return d.env.prov.Provision(ctx, req)
	case terminateAction:
		return d.env.prov.TerminateNodes(ctx, slices.Clone(a.ids))
	default:
		return d.env.prov.DumpState(ctx, epu.DumpStateRequest{NodeIDs: slices.Clone(a.ids), ForceSubscribe: &self})
	}
}

// loop is the domain's life once the controller serves: each period a
// decide, then the pending provisioner calls; between periods, calls
// queued by a reconfigure or due again after a failure.
func (d *domain) loop(ctx context.Context) error {
	d.tryAdopt(ctx)
	d.flush(ctx)
	tick := d.env.clock.After(d.currentPeriod())
	resync := d.env.clock.After(d.env.resync)
	retry := d.retryTimer()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-resync:
			d.queueResync()
			d.flush(ctx)
			resync = d.env.clock.After(d.env.resync)
		case <-tick:
			if !d.tryAdopt(ctx) {
				tick = d.env.clock.After(d.env.retryPeriod)
				continue
			}
			d.decide(ctx)
			d.flush(ctx)
			tick = d.env.clock.After(d.currentPeriod())
		case <-d.kick:
			d.flush(ctx)
		case <-retry:
			d.flush(ctx)
		}
		retry = d.retryTimer()
	}
}

// retryTimer fires when the earliest pending action is due; nil (never)
// when none is pending.
func (d *domain) retryTimer() <-chan time.Time {
	t, ok := d.nextDue()
	if !ok {
		return nil
	}
	return d.env.clock.After(max(t.Sub(d.env.clock.Now()), 0))
}

func (d *domain) currentPeriod() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.period
}

// queueResync asks the provisioner to push again the records of the
// instances it acknowledged and that are not TERMINATED, to this
// controller as it is reached now: a push lost (the provisioner's are
// bounded) or sent to the URL of an earlier run of this controller is
// made good. REQUESTING instances whose provision call is still owed are
// left out: the provisioner would answer FAILED for a node it does not
// have yet.
func (d *domain) queueResync() {
	d.mu.Lock()
	defer d.mu.Unlock()
	owed := map[string]bool{}
	for _, a := range d.pending {
		if a.kind == launchAction {
			owed[a.req.NodeIDs[0]] = true
		}
	}
	var ids []string
	for id, in := range d.instances {
		if in.State.Before(epu.Terminated) && !owed[id] {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return
	}
	slices.Sort(ids)
	d.queue(&action{kind: dumpAction, ids: ids})
}

// tryAdopt runs adopt if it is still owed; false while it fails (no
// decide then: the engine would launch a second pool beside the first).
func (d *domain) tryAdopt(ctx context.Context) bool {
	if !d.needsAdoption() {
		return true
	}
	if err := d.adopt(ctx); err != nil {
		d.logger().Warn("no decide until the provisioner's nodes are listed", "event", "adopt_failed", "retry_in", d.env.retryPeriod.String(), "error", err.Error())
		return false
	}
	return true
}

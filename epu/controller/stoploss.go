package controller

import (
	"fmt"
	"maps"
	"slices"

	"github.com/cloudinitd/cloudinitd/epu"
)

// stopLoss is a domain's guard against replacing workers whose health was
// lost all at once, which says more about the controller's network than
// about the workers. When more than the stop_loss fraction of the live
// instances (and at least two) turn unhealthy within one decide period,
// the domain holds them: the engine sees them with UNKNOWN health and
// Destroy refuses them. It resumes when the unhealthy are no longer more
// than that fraction, or when an operator calls resume.
type stopLoss struct {
	engaged bool
	held    map[string]bool
	reason  string          // "stop-loss engaged: N of M unhealthy at once"
	prev    map[string]bool // instances unhealthy at the previous check
}

// unhealthyLive returns the live instances (before TERMINATING) whose
// health is neither OK nor UNKNOWN, and how many live instances there
// are. Callers hold mu.
func (d *domain) unhealthyLive() (map[string]bool, int) {
	bad := map[string]bool{}
	live := 0
	for id, in := range d.instances {
		if !in.State.Before(epu.Terminating) {
			continue
		}
		live++
		if !in.Health.Healthy() {
			bad[id] = true
		}
	}
	return bad, live
}

// checkStopLoss runs once per decide, after the health monitor. Callers
// hold mu.
func (d *domain) checkStopLoss() {
	bad, live := d.unhealthyLive()
	s := &d.stop
	newly := 0
	for id := range bad {
		if !s.prev[id] {
			newly++
		}
	}
	limit := d.env.stopLoss * float64(live)
	switch {
	case !s.engaged && newly >= 2 && float64(newly) > limit:
		s.engaged, s.held = true, maps.Clone(bad)
		s.reason = fmt.Sprintf("stop-loss engaged: %d of %d unhealthy at once", newly, live)
		d.logger().Error("stop-loss engaged: not replacing unhealthy instances until health returns or an operator resumes",
			"event", "stop_loss_engaged", "unhealthy", newly, "live", live, "node_ids", slices.Sorted(maps.Keys(bad)))
	case s.engaged && float64(len(bad)) <= limit:
		d.resumeLocked(fmt.Sprintf("health returned: %d of %d unhealthy", len(bad), live))
	case s.engaged:
		for id := range bad {
			s.held[id] = true
		}
		for id := range s.held {
			if in, ok := d.instances[id]; !ok || !in.State.Before(epu.Terminating) {
				delete(s.held, id)
			}
		}
	}
	s.prev = bad
}

// resumeLocked ends stop-loss; the held instances are the engine's again.
// Callers hold mu.
func (d *domain) resumeLocked(why string) bool {
	if !d.stop.engaged {
		return false
	}
	d.logger().Warn("stop-loss resumed", "event", "stop_loss_resumed", "reason", why, "held", len(d.stop.held))
	d.stop.engaged, d.stop.held, d.stop.reason = false, nil, ""
	return true
}

// resume is the operator's resume; false when stop-loss was not engaged.
func (d *domain) resume() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.resumeLocked("operator resumed")
}

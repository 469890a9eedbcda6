package controller

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
)

// stopLoss is a domain's guard against replacing workers whose health was
// lost all at once, which says more about the controller's network than
// about the workers. Workers heartbeat on their own periods (30 s by
// default), so a network loss turns them MISSING over that period, not in
// one decide: "at once" is within stop_loss_window (default 60 s).
//
//   - A worker turned unhealthy less than the window ago is not yet shown
//     to the engine as such (UNKNOWN health): it is not destroy-worthy
//     until it stayed unhealthy for the window.
//   - When more than the stop_loss fraction of the live instances (and at
//     least two) turned unhealthy within the window, the domain holds
//     every unhealthy one: the engine sees them with UNKNOWN health and
//     Destroy refuses them.
//   - It resumes when the unhealthy are no longer more than that fraction,
//     or when an operator calls resume; then they are the engine's to
//     replace.
type stopLoss struct {
	engaged bool
	held    map[string]bool
	reason  string               // "stop-loss engaged: N of M unhealthy at once"
	since   map[string]time.Time // live instances unhealthy by health, and since when (zero: long enough)
	recent  map[string]bool      // those turned unhealthy within the window
}

// masked reports whether the engine sees id with UNKNOWN health: held by
// stop-loss, or unhealthy for less than the window.
func (s *stopLoss) masked(id string) bool { return s.held[id] || s.recent[id] }

// confirm records that id is unhealthy by its own word (it asked to stop
// as unhealthy): it is neither counted as turned unhealthy at once nor
// kept from the engine for the window.
func (s *stopLoss) confirm(id string) {
	if s.since == nil {
		s.since = map[string]time.Time{}
	}
	s.since[id] = time.Time{}
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
func (d *domain) checkStopLoss(now time.Time) {
	bad, live := d.unhealthyLive()
	s := &d.stop
	if s.since == nil {
		s.since = map[string]time.Time{}
	}
	for id := range s.since {
		if !bad[id] {
			delete(s.since, id)
		}
	}
	s.recent = map[string]bool{}
	for id := range bad {
		t, seen := s.since[id]
		if !seen {
			t = now
			s.since[id] = t
		}
		if !t.IsZero() && now.Sub(t) < d.env.stopLossWindow {
			s.recent[id] = true
		}
	}
	limit := d.env.stopLoss * float64(live)
	switch {
	case !s.engaged && len(s.recent) >= 2 && float64(len(s.recent)) > limit:
		s.engaged, s.held = true, maps.Clone(bad)
		s.reason = fmt.Sprintf("stop-loss engaged: %d of %d unhealthy at once", len(s.recent), live)
		d.logger().Error("stop-loss engaged: not replacing unhealthy instances until health returns or an operator resumes",
			"event", "stop_loss_engaged", "unhealthy", len(s.recent), "live", live, "window", d.env.stopLossWindow.String(),
			"node_ids", slices.Sorted(maps.Keys(bad)))
	case s.engaged && float64(len(bad)) <= limit:
		d.resumeLocked(fmt.Sprintf("health returned: %d of %d unhealthy", len(bad), live))
	case s.engaged:
		for id := range bad {
			s.held[id] = true
		}
		for id := range s.held {
			if !bad[id] {
				delete(s.held, id)
			}
		}
	}
}

// resumeLocked ends stop-loss: the unhealthy instances are the engine's
// to replace at once. Callers hold mu.
func (d *domain) resumeLocked(why string) bool {
	if !d.stop.engaged {
		return false
	}
	d.logger().Warn("stop-loss resumed", "event", "stop_loss_resumed", "reason", why, "held", len(d.stop.held))
	for id := range d.stop.since {
		d.stop.since[id] = time.Time{} // counted: they neither engage stop-loss again nor wait
	}
	d.stop.engaged, d.stop.held, d.stop.reason, d.stop.recent = false, nil, "", nil
	return true
}

// resume is the operator's resume; false when stop-loss was not engaged.
func (d *domain) resume() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.resumeLocked("operator resumed")
}

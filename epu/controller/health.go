package controller

import (
	"fmt"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// healthTarget is what the health monitor reads and changes: a domain's
// instances.
type healthTarget interface {
	instance(id string) (engine.Instance, bool)
	all() []engine.Instance
	// setHealth records a new health for an instance, with the errors of
	// the heartbeat that caused it (nil for none).
	setHealth(id string, h epu.Health, errors []string, reason string)
}

// healthMonitor turns heartbeats and their absence into health
// (reference §2.4), with the original's timelines:
//
//   - an OK heartbeat sets OK unless the health is OK or ZOMBIE or the
//     instance is TERMINATED or later; another state sets that state and
//     its errors when the state or the heartbeat's error_time changed;
//   - a RUNNING instance never heard from is MISSING after the boot
//     timeout, measured from its RUNNING time or, when the monitor started
//     later (a restart), from the monitor's start; one heard before and
//     silent for more than the missing timeout is MISSING;
//   - an instance TERMINATING or later never heard from is UNKNOWN; silent
//     for the zombie timeout both after its state change and after its
//     last heartbeat, it is forgotten and UNKNOWN; a heartbeat later than
//     its state time plus the zombie timeout makes it a ZOMBIE.
//
// Last heartbeat times live in memory only, as in the original: after a
// restart the monitor's start time stands in for them.
type healthMonitor struct {
	boot, missing, zombie time.Duration
	start                 time.Time
	lastHeard             map[string]time.Time
	errorTime             map[string]int64
}

func newHealthMonitor(boot, missing, zombie time.Duration, start time.Time) *healthMonitor {
	return &healthMonitor{boot: boot, missing: missing, zombie: zombie, start: start,
		lastHeard: map[string]time.Time{}, errorTime: map[string]int64{}}
}

// lastHeartbeat returns when the node was last heard from.
func (m *healthMonitor) lastHeartbeat(id string) (time.Time, bool) {
	t, ok := m.lastHeard[id]
	return t, ok
}

// heartbeat takes in a heartbeat received at now; false for an unknown
// node, which is ignored.
func (m *healthMonitor) heartbeat(t healthTarget, hb epu.Heartbeat, now time.Time) bool {
	in, ok := t.instance(hb.NodeID)
	if !ok {
		return false
	}
	m.lastHeard[hb.NodeID] = now
	if hb.State == epu.HealthOK {
		if in.Health != epu.HealthOK && in.Health != epu.HealthZombie && in.State.Before(epu.Terminated) {
			t.setHealth(hb.NodeID, epu.HealthOK, nil, "OK heartbeat")
		}
		return true
	}
	if hb.State != in.Health || hb.ErrorTime != m.errorTime[hb.NodeID] {
		m.errorTime[hb.NodeID] = hb.ErrorTime
		var errs []string
		if hb.Error != "" {
			errs = append(errs, hb.Error)
		}
		errs = append(errs, hb.FailedProcesses...)
		t.setHealth(hb.NodeID, hb.State, errs, "heartbeat")
	}
	return true
}

// update applies the timeouts at now.
func (m *healthMonitor) update(t healthTarget, now time.Time) {
	for _, in := range t.all() {
		if h, why := m.verdict(in, now); h != "" {
			t.setHealth(in.InstanceID, h, nil, why)
		}
	}
}

// verdict returns the new health of in at now and why, or "" for no
// change.
func (m *healthMonitor) verdict(in engine.Instance, now time.Time) (epu.Health, string) {
	last, heard := m.lastHeard[in.InstanceID]
	stateAge := now.Sub(in.StateTime)
	switch {
	case !in.State.Before(epu.Terminating):
		switch {
		case !heard:
			if in.Health != epu.HealthUnknown {
				return epu.HealthUnknown, fmt.Sprintf("was %s, state %s and no heartbeat received", in.Health, in.State)
			}
		case stateAge > m.zombie && now.Sub(last) > m.zombie:
			delete(m.lastHeard, in.InstanceID)
			delete(m.errorTime, in.InstanceID)
			if in.Health != epu.HealthUnknown {
				return epu.HealthUnknown, fmt.Sprintf("was %s, state %s and no heartbeat for %v", in.Health, in.State, now.Sub(last))
			}
		case last.After(in.StateTime.Add(m.zombie)):
			if in.Health != epu.HealthZombie {
				return epu.HealthZombie, fmt.Sprintf("heartbeat %v after %s", last.Sub(in.StateTime), in.State)
			}
		}
	case in.State == epu.Running && in.Health != epu.HealthMissing:
		if heard {
			if now.Sub(last) > m.missing {
				return epu.HealthMissing, fmt.Sprintf("no heartbeat for %v", now.Sub(last))
			}
			return "", ""
		}
		monitorAge := now.Sub(m.start)
		if monitorAge < stateAge {
			// The monitor started after the instance reached RUNNING
			// (a restart): its start stands in for the RUNNING time.
			if in.Health == epu.HealthUnknown {
				if monitorAge > m.boot {
					return epu.HealthMissing, fmt.Sprintf("no heartbeat %v after the controller's start", monitorAge)
				}
			} else if monitorAge > m.missing {
				return epu.HealthMissing, fmt.Sprintf("no further heartbeat %v after the controller's start", monitorAge)
			}
			return "", ""
		}
		if stateAge > m.boot {
			return epu.HealthMissing, fmt.Sprintf("no heartbeat %v after RUNNING", stateAge)
		}
	}
	return "", ""
}

package engine

import (
	"slices"

	"github.com/cloudinitd/cloudinitd/epu"
)

// State is the snapshot a controller hands an engine: the current
// instances and sensor readings, and what changed since the previous
// snapshot. The queries follow reference §2.5 exactly.
type State struct {
	Instances       map[string]Instance
	Sensors         map[string]epu.Sensor
	InstanceChanges []Instance   // every instance message since the last snapshot, in arrival order
	SensorChanges   []epu.Sensor // every sensor reading since the last snapshot, older ones included
}

// Instance returns the instance with id.
func (s *State) Instance(id string) (Instance, bool) {
	i, ok := s.Instances[id]
	return i, ok
}

// Sensor returns the current reading of a sensor.
func (s *State) Sensor(id string) (epu.Sensor, bool) {
	v, ok := s.Sensors[id]
	return v, ok
}

// sorted returns the instances that keep, ordered by id so that engines
// decide the same way for the same snapshot. It sorts the ids, not the
// (large) instances, and copies each kept instance once: O(n log n) with
// small constants over 10,000 instances.
func (s *State) sorted(keep func(Instance) bool) []Instance {
	var ids []string
	for id, i := range s.Instances {
		if keep(i) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	out := make([]Instance, len(ids))
	for n, id := range ids {
		out[n] = s.Instances[id]
	}
	return out
}

// All returns every instance, by id.
func (s *State) All() []Instance { return s.sorted(func(Instance) bool { return true }) }

// ByState returns the instances with lo ≤ state ≤ hi (inclusive, as the
// original's get_instances_by_state).
func (s *State) ByState(lo, hi epu.State) []Instance {
	return s.sorted(func(i Instance) bool { return i.State.Number() >= lo.Number() && i.State.Number() <= hi.Number() })
}

// Healthy returns the instances whose health is OK or UNKNOWN and whose
// state is before RUNNING_FAILED.
func (s *State) Healthy() []Instance {
	return s.sorted(func(i Instance) bool { return i.Health.Healthy() && i.State.Before(epu.RunningFailed) })
}

// Pending returns the instances with REQUESTED ≤ state < RUNNING
// (REQUESTING is not pending).
func (s *State) Pending() []Instance {
	return s.sorted(func(i Instance) bool { return i.State.Between(epu.Requested, epu.Running) })
}

// Unhealthy returns the instances in RUNNING_FAILED, and those whose
// health is neither OK nor UNKNOWN while before TERMINATED (or ZOMBIE at
// any state).
func (s *State) Unhealthy() []Instance {
	return s.sorted(func(i Instance) bool {
		if i.State == epu.RunningFailed {
			return true
		}
		return !i.Health.Healthy() && (i.State.Before(epu.Terminated) || i.Health == epu.HealthZombie)
	})
}

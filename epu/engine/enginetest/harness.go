package enginetest

import (
	"fmt"
	"maps"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// Harness is an engine.Control over a live engine.State, as the
// original's DeeControl and DeeState: Launch adds an instance RUNNING with
// health UNKNOWN at once, Destroy sets TERMINATING (health UNKNOWN, as a
// controller clears it). Engines see the changes in the same State.
type Harness struct {
	State *engine.State

	NumLaunched   int               // launches minus kills (the original's num_launched)
	TotalLaunched int               // launches
	TotalKilled   int               // kills, one per id destroyed (again for an id destroyed again)
	ProvVars      map[string]string // the last provisioner_vars configured; nil until then
	Pulse         time.Duration     // the last decide period configured
	Launches      []Launch          // every launch, in order
	HealthChecked bool              // HealthNotChecked answers its negation
	Clock         time.Time         // what Now answers

	next int
}

// Launch is one Launch call.
type Launch struct {
	DeployableType, Site, Allocation string
	Extravars                        map[string]string
	LaunchID, InstanceID             string
}

var _ engine.Control = (*Harness)(nil)

// New returns a harness with no instance and the queue-length sensor
// seeded with 0, as every original test did.
func New() *Harness {
	h := &Harness{
		State: &engine.State{Instances: map[string]engine.Instance{}, Sensors: map[string]epu.Sensor{}},
		Clock: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	h.NewQueueLength(0)
	return h
}

// Configure records the decide period and the provisioner vars.
func (h *Harness) Configure(params engine.Conf) error {
	p, err := engine.ParseParams(params)
	if err != nil {
		return err
	}
	if p.HasPulse {
		h.Pulse = p.Pulse
	}
	if p.HasVars {
		h.ProvVars = p.ProvisionerVars
	}
	return nil
}

// Launch adds a RUNNING instance with ids i-0001, i-0002, … and launch
// ids l-0001, … (id order is launch order up to the 9,999th).
func (h *Harness) Launch(dt, site, allocation string, extravars map[string]string) (string, string, error) {
	h.next++
	l := Launch{
		DeployableType: dt, Site: site, Allocation: allocation, Extravars: maps.Clone(extravars),
		LaunchID: fmt.Sprintf("l-%04d", h.next), InstanceID: fmt.Sprintf("i-%04d", h.next),
	}
	h.Launches = append(h.Launches, l)
	h.set(engine.Instance{
		InstanceID: l.InstanceID, LaunchID: l.LaunchID, Site: site, Allocation: allocation,
		State: epu.Running, Health: epu.HealthUnknown, Extravars: l.Extravars,
	})
	h.NumLaunched++
	h.TotalLaunched++
	return l.LaunchID, l.InstanceID, nil
}

// Destroy sets each instance TERMINATING with health UNKNOWN (an unknown
// id gets a record, as in the original).
func (h *Harness) Destroy(ids ...string) error {
	for _, id := range ids {
		i, ok := h.State.Instances[id]
		if !ok {
			i = engine.Instance{InstanceID: id}
		}
		i.State, i.Health = epu.Terminating, epu.HealthUnknown
		h.set(i)
		h.NumLaunched--
		h.TotalKilled++
	}
	return nil
}

// SetAttribute sets (value "": removes) an attribute of an instance of
// State, as a controller stores it: not an instance change.
func (h *Harness) SetAttribute(id, key, value string) error {
	i, ok := h.State.Instances[id]
	if !ok {
		return fmt.Errorf("set attribute %s of %s: unknown instance", key, id)
	}
	i.Attributes = engine.WithAttribute(i.Attributes, key, value)
	h.State.Instances[id] = i
	return nil
}

// HealthNotChecked is !HealthChecked.
func (h *Harness) HealthNotChecked() bool { return !h.HealthChecked }

// Now returns Clock.
func (h *Harness) Now() time.Time { return h.Clock }

// NewHealth sets an instance RUNNING with health OK, or PROCESS_ERROR when
// not ok (the original's new_health).
func (h *Harness) NewHealth(id string, ok bool) {
	i := h.State.Instances[id]
	i.InstanceID, i.State, i.Health = id, epu.Running, epu.HealthOK
	if !ok {
		i.Health = epu.HealthProcessError
	}
	h.set(i)
}

// SetState moves an instance to st.
func (h *Harness) SetState(id string, st epu.State) {
	i := h.State.Instances[id]
	i.InstanceID, i.State = id, st
	h.set(i)
}

// SetSensorData gives every instance the same per-instance readings
// (the original sensor test's set_instance_sensor_data).
func (h *Harness) SetSensorData(data map[string]map[string]float64) {
	for id, i := range h.State.Instances {
		i.SensorData = data
		h.State.Instances[id] = i
	}
}

// NewQueueLength records a queue-length reading {"queue_length": n}.
func (h *Harness) NewQueueLength(n int) {
	r := epu.Sensor{SensorID: engine.QueueLengthSensor, Time: int64(len(h.State.SensorChanges) + 1), Value: map[string]any{"queue_length": float64(n)}}
	h.State.Sensors[r.SensorID] = r
	h.State.SensorChanges = append(h.State.SensorChanges, r)
}

// Valid returns the ids of instances in none of TERMINATING, TERMINATED
// and FAILED, by id.
func (h *Harness) Valid() []string {
	var out []string
	for _, i := range h.State.All() {
		if i.State != epu.Terminating && i.State != epu.Terminated && i.State != epu.Failed {
			out = append(out, i.InstanceID)
		}
	}
	return out
}

// Active reports whether id is a known instance in a valid state.
func (h *Harness) Active(id string) bool {
	i, ok := h.State.Instances[id]
	return ok && i.State != epu.Terminating && i.State != epu.Terminated && i.State != epu.Failed
}

func (h *Harness) set(i engine.Instance) {
	i.StateTime = h.Clock
	h.State.Instances[i.InstanceID] = i
	h.State.InstanceChanges = append(h.State.InstanceChanges, i)
}

package engine

import (
	"errors"
	"maps"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
)

// Engine decides the size of one domain.
type Engine interface {
	// Initialize configures the engine from conf (the domain's engine
	// configuration, with every persisted reconfiguration merged over it).
	// An invalid conf is an error naming the key; the domain does not start.
	Initialize(c Control, s *State, conf Conf) error
	// Decide looks at s and launches or destroys through c. An error is
	// logged by the controller and the loop goes on.
	Decide(c Control, s *State) error
	// Reconfigure applies newconf, validating all of it before changing
	// anything. An engine that cannot be reconfigured returns
	// ErrNoReconfigure.
	Reconfigure(c Control, newconf Conf) error
	// DEState is the engine's verdict after its last Decide (DEUnknown for
	// an engine without the notion).
	DEState() epu.DEState
}

// ConfReporter is implemented by engines that describe their
// configuration in one line (de_conf_report).
type ConfReporter interface {
	ConfReport() string
}

// Conf is an engine configuration as JSON decodes it: values are strings,
// float64, bool, nil, []any or map[string]any. Each top-level key replaces
// its whole subtree when reconfigured.
type Conf map[string]any

// Control is what an engine may do to its domain. Its methods record the
// request and return; the controller carries it out.
type Control interface {
	// Configure sets controller parameters: "timed-pulse-irregular"
	// (decide period in milliseconds) and "provisioner_vars" (the vars sent
	// with every later launch, replacing the previous ones).
	Configure(params Conf) error
	// Launch asks for one instance of the deployable type dt on site with
	// allocation, with extravars added to the provisioner vars. An empty dt
	// means the domain's deployable type; an empty site or allocation, the
	// deployable type's own. It registers the instance as REQUESTING at once
	// (with its Extravars, so a later snapshot shows them) and returns its
	// launch and instance ids.
	Launch(dt, site, allocation string, extravars map[string]string) (launchID, instanceID string, err error)
	// Destroy asks for the termination of instances by id; an id already
	// terminating is asked again (harmless).
	Destroy(ids ...string) error
	// SetAttribute records an attribute the engine keeps about an instance
	// (value "" removes it) before it returns: the controller stores it
	// with the instance, so the instance's Attributes carry it in later
	// snapshots and after a restart, for Initialize to read back. It is
	// not an instance change (InstanceChanges). An unknown id is an error.
	SetAttribute(instanceID, key, value string) error
	// HealthNotChecked reports whether the domain's health monitor is off.
	HealthNotChecked() bool
	// Now is the controller's clock (a fake one in tests); engines that
	// wait, such as the sensor engine's cooldown, read time only here.
	Now() time.Time
}

// ErrNoReconfigure is returned by Reconfigure of engines that do not
// support it.
var ErrNoReconfigure = errors.New("engine does not support reconfigure")

// ErrBadConf is the class of configuration errors.
var ErrBadConf = errors.New("bad engine configuration")

// Instance is one worker of the domain as the engine sees it.
type Instance struct {
	InstanceID string            `json:"instance_id"` // the node id
	LaunchID   string            `json:"launch_id"`
	Site       string            `json:"site"`
	Allocation string            `json:"allocation"`
	State      epu.State         `json:"state"`
	StateTime  time.Time         `json:"state_time"`
	Health     epu.Health        `json:"health"`
	IaaSID     string            `json:"iaas_id,omitempty"`
	Hostname   string            `json:"hostname,omitempty"`
	PublicIP   string            `json:"public_ip,omitempty"`
	PrivateIP  string            `json:"private_ip,omitempty"`
	Errors     []string          `json:"errors,omitempty"`
	Extravars  map[string]string `json:"extravars,omitempty"`
	// Attributes are what the engine keeps about the instance
	// (Control.SetAttribute), by key; they go with the instance.
	Attributes map[string]string `json:"attributes,omitempty"`
	// SensorData holds per-instance readings: metric → sample function →
	// value ("cpu" → "Average" → 0.4), used by the sensor engine.
	SensorData map[string]map[string]float64 `json:"sensor_data,omitempty"`
}

// WithAttribute returns a copy of attrs with key set to value, or removed
// when value is ""; nil when none is left. attrs is not changed: a
// snapshot may share it.
func WithAttribute(attrs map[string]string, key, value string) map[string]string {
	out := maps.Clone(attrs)
	if value == "" {
		delete(out, key)
	} else {
		if out == nil {
			out = map[string]string{}
		}
		out[key] = value
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

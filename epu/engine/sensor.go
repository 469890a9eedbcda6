package engine

import (
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
)

// Configuration keys of the sensor engine (reference §2.6.3). Its launch
// keys are the original's: deployable_type, iaas_site, iaas_allocation
// (absent: the domain's own).
const (
	MinimumVMsKey         = "minimum_vms"
	MaximumVMsKey         = "maximum_vms"
	MetricKey             = "metric"
	SampleFunctionKey     = "sample_function"
	CooldownKey           = "cooldown_period" // seconds
	ScaleUpThresholdKey   = "scale_up_threshold"
	ScaleUpVMsKey         = "scale_up_n_vms"
	ScaleDownThresholdKey = "scale_down_threshold"
	ScaleDownVMsKey       = "scale_down_n_vms"
	DeployableTypeKey     = "deployable_type"
	IaaSSiteKey           = "iaas_site"
	IaaSAllocationKey     = "iaas_allocation"
	RetirableNodesKey     = "retirable_nodes"
	UniqueKeyKey          = "unique_key"
	UniqueValuesKey       = "unique_values"
)

// Sensor scales a domain between minimum_vms and maximum_vms on the
// average of a per-instance metric (Instance.SensorData[metric]
// [sample_function]), the original's SensorEngine: above
// scale_up_threshold it adds scale_up_n_vms, below scale_down_threshold it
// removes scale_down_n_vms (retirable nodes first), then waits
// cooldown_period seconds after each scaling. With unique_key and
// unique_values each instance gets the first value no valid instance
// holds. Make one with NewSensor.
type Sensor struct {
	conf      sensorConf
	lastScale time.Time // zero: never scaled
	de        epu.DEState
}

// NewSensor returns a sensor engine; Initialize configures it.
func NewSensor() *Sensor { return &Sensor{de: epu.DEPending} }

// Initialize requires a non-empty conf (see the keys above). It leaves
// the decide period to the controller, as the original did.
func (e *Sensor) Initialize(_ Control, _ *State, conf Conf) error {
	sc, err := e.conf.apply(conf)
	if err != nil {
		return err
	}
	e.conf = sc
	return nil
}

// Reconfigure applies the keys of newconf present, each checked before
// any changes.
func (e *Sensor) Reconfigure(_ Control, newconf Conf) error {
	return e.Initialize(nil, nil, newconf)
}

// DEState is the verdict of the last Decide that got past the cooldown.
func (e *Sensor) DEState() epu.DEState { return e.de }

// Decide destroys unhealthy instances; within the cooldown it stops there.
// Otherwise it averages the metric over the valid instances (the sum of
// the readings divided by the larger of their number and the valid
// count), picks the scaling, clamps valid count + scaling to
// [minimum_vms, maximum_vms] and moves to it in this cycle.
func (e *Sensor) Decide(c Control, s *State) error {
	all := s.All()
	valid := validIDs(all)
	if err := destroyUnhealthy(c, s, valid); err != nil {
		return err
	}
	var validIDs []string
	inUse := map[string]bool{}
	for _, i := range all {
		if !valid[i.InstanceID] {
			continue
		}
		validIDs = append(validIDs, i.InstanceID)
		if e.conf.uniqueKey != "" && i.Extravars[e.conf.uniqueKey] != "" {
			inUse[i.Extravars[e.conf.uniqueKey]] = true
		}
	}
	count := len(validIDs)
	now := c.Now()
	if !e.lastScale.IsZero() && now.Sub(e.lastScale) < e.conf.cooldown {
		return nil
	}
	scaleBy := 0
	if e.conf.metric != "" && e.conf.sampleFunction != "" {
		scaleBy = e.scaleBy(s, validIDs)
		if scaleBy != 0 {
			e.lastScale = now
		}
	}
	want := max(min(e.conf.maximum, count+scaleBy), e.conf.minimum)
	switch {
	case count < want:
		next := 0
		for ; count < want; count++ {
			var extravars map[string]string
			if e.conf.uniqueKey != "" {
				for next < len(e.conf.uniqueValues) && inUse[e.conf.uniqueValues[next]] {
					next++
				}
				if next < len(e.conf.uniqueValues) {
					extravars = map[string]string{e.conf.uniqueKey: e.conf.uniqueValues[next]}
					next++
				}
			}
			if _, err := launchOne(c, e.conf.target, extravars); err != nil {
				return err
			}
		}
	case count > want:
		for _, id := range e.victims(validIDs, count-want) {
			if err := c.Destroy(id); err != nil {
				return err
			}
		}
	}
	if count != want {
		e.de = epu.DEPending
	} else {
		e.de = Stability(all, -1, c.HealthNotChecked())
	}
	return nil
}

// scaleBy is +scale_up_n_vms, −scale_down_n_vms or 0 from the average of
// the metric over the valid instances (no instance and no reading: 0).
func (e *Sensor) scaleBy(s *State, validIDs []string) int {
	sum, n := 0.0, 0
	for _, id := range validIDs {
		i, _ := s.Instance(id)
		if v := i.SensorData[e.conf.metric][e.conf.sampleFunction]; v != 0 {
			sum += v
			n++
		}
	}
	divisor := max(n, len(validIDs))
	if divisor == 0 {
		return 0
	}
	switch avg := sum / float64(divisor); {
	case avg > e.conf.upThreshold:
		return e.conf.upVMs
	case avg < e.conf.downThreshold:
		return -e.conf.downVMs
	}
	return 0
}

// victims picks k of validIDs to destroy: retirable nodes first (in id
// order), then at random.
func (e *Sensor) victims(validIDs []string, k int) []string {
	var out, rest []string
	for _, id := range validIDs {
		if len(out) < k && e.conf.retirable[id] {
			out = append(out, id)
		} else {
			rest = append(rest, id)
		}
	}
	return append(out, pickRandom(rest, k-len(out))...)
}

package engine

import (
	"encoding/json"
	"fmt"

	"github.com/cloudinitd/cloudinitd/epu"
)

// Configuration keys of the queuelen engine, and the sensor it reads.
const (
	HighWaterKey      = "queuelen_high_water"
	LowWaterKey       = "queuelen_low_water"
	MinInstancesKey   = "min_instances"
	QueueLengthSensor = "queue-length"
)

// QueueLength sizes a domain by the length of a work queue (reference
// §2.6.2, the original's QueueLengthBoundedEngine): at least min_instances,
// one more while the queue is above the high water mark, one fewer while
// below the low water mark, never more than one change per decide and no
// change while an instance is pending. It ignores devmode and cannot be
// reconfigured. Make one with NewQueueLength.
type QueueLength struct {
	high, low, min int
	target         target
	de             epu.DEState
}

// NewQueueLength returns a queuelen engine; Initialize configures it.
func NewQueueLength() *QueueLength { return &QueueLength{de: epu.DEPending} }

// Initialize requires a conf with both water marks (integers);
// min_instances is an integer ≥ 0 (default 0). The decide period is 5 s.
func (e *QueueLength) Initialize(c Control, _ *State, conf Conf) error {
	if len(conf) == 0 {
		return fmt.Errorf("%w: the queuelen engine needs %s and %s", ErrBadConf, HighWaterKey, LowWaterKey)
	}
	t, err := readTarget(conf, e.target)
	if err != nil {
		return err
	}
	var marks [2]int
	for i, key := range []string{HighWaterKey, LowWaterKey} {
		n, found, err := confInt(conf, key)
		if err != nil {
			return err
		}
		if !found {
			return badConf(key, "required by the queuelen engine")
		}
		marks[i] = n
	}
	min, _, err := confCount(conf, MinInstancesKey)
	if err != nil {
		return err
	}
	e.high, e.low, e.min, e.target = marks[0], marks[1], min, t
	return c.Configure(Conf{PulseKey: defaultPulseMillis})
}

// Reconfigure is not supported, as in the original.
func (e *QueueLength) Reconfigure(Control, Conf) error { return ErrNoReconfigure }

// DEState is the verdict of the last Decide.
func (e *QueueLength) DEState() epu.DEState { return e.de }

// Decide destroys unhealthy instances, launches up to min_instances, then
// — unless an instance is pending — moves by the heading of the latest
// queue-length reading: at most one launch or one termination.
func (e *QueueLength) Decide(c Control, s *State) error {
	all := s.All()
	valid := validIDs(all)
	if err := destroyUnhealthy(c, s, valid); err != nil {
		return err
	}
	count := len(valid)
	for ; count < e.min; count++ {
		if _, err := launchOne(c, e.target, nil); err != nil {
			return err
		}
	}
	if len(s.Pending()) > 0 {
		e.de = epu.DEPending
		return nil
	}
	heading, err := e.heading(s, count)
	if err != nil {
		return err
	}
	switch {
	case heading > 0:
		if _, err := launchOne(c, e.target, nil); err != nil {
			return err
		}
	case heading < 0:
		var ids []string
		for _, i := range all {
			if valid[i.InstanceID] {
				ids = append(ids, i.InstanceID)
			}
		}
		if len(ids) == 0 {
			return fmt.Errorf("queue below low water but no valid instance to terminate")
		}
		id := pickRandom(ids, 1)[0]
		if err := c.Destroy(id); err != nil {
			return fmt.Errorf("destroy %s: %w", id, err)
		}
	}
	if heading == 0 {
		e.de = Stability(all, -1, true)
	} else {
		e.de = epu.DEPending
	}
	return nil
}

// heading is +1, 0 or −1 from the latest queue-length reading (no reading:
// 0) and the valid count, by the original's table.
func (e *QueueLength) heading(s *State, count int) (int, error) {
	r, ok := s.Sensor(QueueLengthSensor)
	if !ok {
		return 0, nil
	}
	qlen, err := queueLength(r.Value)
	if err != nil {
		return 0, err
	}
	switch {
	case qlen == 0 && count == 0:
		return 0, nil
	case qlen != 0 && count == 0:
		return 1, nil // work waits: one instance even below low water
	case qlen > e.high:
		return 1, nil
	case qlen < e.low:
		if count == e.min {
			return 0, nil // down to the minimum, cannot reduce
		}
		return -1, nil
	}
	return 0, nil
}

// queueLength reads the reading's value {"queue_length": N} (N a number
// or a string holding an integer).
func queueLength(v any) (int, error) {
	var conf Conf
	switch m := v.(type) {
	case map[string]any:
		conf = m
	case Conf:
		conf = m
	case json.RawMessage:
		if err := json.Unmarshal(m, &conf); err != nil {
			return 0, fmt.Errorf("sensor %s: value: %w", QueueLengthSensor, err)
		}
	default:
		return 0, fmt.Errorf("sensor %s: value %v (%T) is not an object with queue_length", QueueLengthSensor, v, v)
	}
	raw, found := conf["queue_length"]
	if !found {
		return 0, fmt.Errorf("sensor %s: value has no queue_length", QueueLengthSensor)
	}
	n, ok := toInt(raw)
	if !ok {
		return 0, fmt.Errorf("sensor %s: queue_length %s is not an integer", QueueLengthSensor, show(raw))
	}
	return n, nil
}

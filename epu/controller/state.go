package controller

import (
	"encoding/json"
	"strconv"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// WholeState is a domain's whole state (reference §2.4, what epumgmt
// reads). Times are seconds since the epoch; -1 when unknown.
type WholeState struct {
	DEState      epu.DEState              `json:"de_state"`
	DEConfReport *string                  `json:"de_conf_report"` // null for an engine without one
	Instances    map[string]InstanceState `json:"instances"`      // by instance (node) id
	Sensors      map[string]string        `json:"sensors"`        // current reading of each sensor, as a string
	StopLoss     *string                  `json:"stop_loss"`      // null unless stop-loss is engaged
}

// InstanceState is one instance in WholeState.
type InstanceState struct {
	IaaSID         string        `json:"iaas_id"`
	PublicIP       string        `json:"public_ip"`
	PrivateIP      string        `json:"private_ip"`
	IaaSState      epu.State     `json:"iaas_state"`
	IaaSStateTime  int64         `json:"iaas_state_time"`
	HeartbeatTime  int64         `json:"heartbeat_time"` // -1: never heard (with the monitor on or off)
	HeartbeatState epu.Health    `json:"heartbeat_state"`
	Errors         []string      `json:"errors,omitempty"`   // of the heartbeat that set the health
	Messages       []NodeMessage `json:"messages,omitempty"` // the last messages the node logged, medium priority or more
}

// DEStateAnswer answers de_state.
type DEStateAnswer struct {
	DEState  epu.DEState `json:"de_state"`
	StopLoss string      `json:"stop_loss,omitempty"`
}

// DomainSummary is one line of the domain list.
type DomainSummary struct {
	Name           string      `json:"name"`
	DeployableType string      `json:"deployable_type"`
	Engine         string      `json:"engine"`
	MaxSize        int         `json:"max_size"`
	Live           int         `json:"live"` // instances not TERMINATED, FAILED or REJECTED
	DEState        epu.DEState `json:"de_state"`
	MonitorHealth  bool        `json:"monitor_health"`
	StopLoss       string      `json:"stop_loss,omitempty"`
}

func (d *domain) wholeState() WholeState {
	d.mu.Lock()
	defer d.mu.Unlock()
	ws := WholeState{DEState: d.deStateLocked(), Instances: make(map[string]InstanceState, len(d.instances)),
		Sensors: make(map[string]string, len(d.sensors))}
	if r, ok := d.engine.(engine.ConfReporter); ok {
		s := r.ConfReport()
		ws.DEConfReport = &s
	}
	if d.stop.engaged {
		s := d.stop.reason
		ws.StopLoss = &s
	}
	for id, in := range d.instances {
		hb := int64(-1)
		if t, ok := d.lastHeartbeat(id); ok {
			hb = t.Unix()
		}
		st := int64(-1)
		if !in.StateTime.IsZero() {
			st = in.StateTime.Unix()
		}
		ws.Instances[id] = InstanceState{IaaSID: in.IaaSID, PublicIP: in.PublicIP, PrivateIP: in.PrivateIP,
			IaaSState: in.State, IaaSStateTime: st, HeartbeatTime: hb, HeartbeatState: in.Health,
			Errors: in.Errors, Messages: d.nodeMessages(id)}
	}
	for id, s := range d.sensors {
		ws.Sensors[id] = valueString(s.Value)
	}
	return ws
}

// deStateLocked asks the engine; an engine without the notion says
// UNKNOWN. Callers hold mu.
func (d *domain) deStateLocked() epu.DEState {
	s := d.engine.DEState()
	if s == "" {
		return epu.DEUnknown
	}
	return s
}

func (d *domain) deState() DEStateAnswer {
	d.mu.Lock()
	defer d.mu.Unlock()
	a := DEStateAnswer{DEState: d.deStateLocked()}
	if d.stop.engaged {
		a.StopLoss = d.stop.reason
	}
	return a
}

func (d *domain) summary() DomainSummary {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := DomainSummary{Name: d.conf.Name, DeployableType: d.conf.DeployableType, Engine: d.conf.Engine,
		MaxSize: d.conf.MaxSize, Live: d.live(), DEState: d.deStateLocked(), MonitorHealth: d.health != nil}
	if d.stop.engaged {
		s.StopLoss = d.stop.reason
	}
	return s
}

// valueString writes a reading as the original's str(value): a string as
// it is, a number in its shortest form, anything else as compact JSON.
func valueString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "<unprintable>"
	}
	return string(b)
}

package engine_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

func inst(id string, st epu.State, h epu.Health) engine.Instance {
	return engine.Instance{InstanceID: id, State: st, Health: h}
}

// TestStability is the original's _set_state (reference §2.5, §5.3 item 9).
func TestStability(t *testing.T) {
	for _, tc := range []struct {
		name             string
		all              []engine.Instance
		needed           int
		healthNotChecked bool
		want             epu.DEState
	}{
		{"none", nil, -1, true, epu.DEStable},
		{"count differs", []engine.Instance{inst("a", epu.Running, epu.HealthOK)}, 2, true, epu.DEPending},
		{"count matches", []engine.Instance{inst("a", epu.Running, epu.HealthOK)}, 1, false, epu.DEStable},
		{"requesting blocks", []engine.Instance{inst("a", epu.Requesting, epu.HealthUnknown)}, -1, true, epu.DEPending},
		{"started blocks even when OK", []engine.Instance{inst("a", epu.Started, epu.HealthOK)}, -1, false, epu.DEPending},
		{"running unknown health, not checked", []engine.Instance{inst("a", epu.Running, epu.HealthUnknown)}, -1, true, epu.DEStable},
		{"running unknown health, checked", []engine.Instance{inst("a", epu.Running, epu.HealthUnknown)}, -1, false, epu.DEPending},
		{"running missing, checked", []engine.Instance{inst("a", epu.Running, epu.HealthMissing)}, -1, false, epu.DEPending},
		{"running OK, checked", []engine.Instance{inst("a", epu.Running, epu.HealthOK)}, -1, false, epu.DEStable},
		{"failed and terminated never block", []engine.Instance{
			inst("a", epu.Running, epu.HealthOK), inst("b", epu.RunningFailed, epu.HealthUnknown),
			inst("c", epu.Terminating, epu.HealthMissing), inst("d", epu.Terminated, epu.HealthUnknown),
			inst("e", epu.Failed, epu.HealthUnknown), inst("f", epu.Rejected, epu.HealthUnknown),
		}, -1, false, epu.DEStable},
		{"but they count against needed", []engine.Instance{
			inst("a", epu.Running, epu.HealthOK), inst("b", epu.Terminated, epu.HealthUnknown),
		}, 1, false, epu.DEPending},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, engine.Stability(tc.all, tc.needed, tc.healthNotChecked)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDevmode: only a string "true" (trimmed, any case) enables; present
// and anything else disables; absent keeps the current setting.
func TestDevmode(t *testing.T) {
	for _, tc := range []struct {
		name string
		conf engine.Conf
		cur  bool
		want bool
	}{
		{"absent keeps off", engine.Conf{}, false, false},
		{"absent keeps on", engine.Conf{"preserve_n": "1"}, true, true},
		{"nil conf keeps on", nil, true, true},
		{"true", engine.Conf{engine.DevmodeKey: "true"}, false, true},
		{"spaces and case", engine.Conf{engine.DevmodeKey: "  TrUe \n"}, false, true},
		{"false string", engine.Conf{engine.DevmodeKey: "false"}, true, false},
		{"yes", engine.Conf{engine.DevmodeKey: "yes"}, true, false},
		{"boolean true is not a string", engine.Conf{engine.DevmodeKey: true}, true, false},
		{"null", engine.Conf{engine.DevmodeKey: nil}, true, false},
		{"empty", engine.Conf{engine.DevmodeKey: ""}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := engine.Devmode(tc.conf, tc.cur); got != tc.want {
				t.Errorf("Devmode(%v, %v) = %v, want %v", tc.conf, tc.cur, got, tc.want)
			}
		})
	}
}

package engine_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
	"github.com/cloudinitd/cloudinitd/epu/engine/enginetest"
)

func waters(min string) engine.Conf {
	return engine.Conf{"queuelen_high_water": "50", "queuelen_low_water": "10", "min_instances": min}
}

type counters struct{ Num, Launched, Killed int }

func countersOf(h *enginetest.Harness) counters {
	return counters{h.NumLaunched, h.TotalLaunched, h.TotalKilled}
}

// TestQueueLengthScenarios is Q1–Q5 of reference §2.7
// (test_queuelen_bounded_engine.py), high water 50, low water 10.
func TestQueueLengthScenarios(t *testing.T) {
	type qstep struct {
		qlen      int // -1: no new reading
		unhealthy []string
		wantNum   int
	}
	type scenario struct {
		name  string
		min   string
		steps []qstep
		want  counters // after the last step
	}
	var cases []scenario
	for _, m := range []int{0, 1, 5} {
		cases = append(cases, scenario{name: fmt.Sprintf("Q1-Q3 minimum %d", m), min: fmt.Sprint(m),
			steps: []qstep{{qlen: -1, wantNum: m}}, want: counters{m, m, 0}})
	}
	for _, m := range []int{0, 1, 5} {
		w := max(m, 1)
		cases = append(cases, scenario{name: fmt.Sprintf("Q4 the waters minimum %d", m), min: fmt.Sprint(m), steps: []qstep{
			{qlen: -1, wantNum: m},
			{qlen: 9, wantNum: w},
			{qlen: 10, wantNum: w},
			{qlen: 50, wantNum: w},
			{qlen: 51, wantNum: w + 1},
			{qlen: 40, wantNum: w + 1},
			{qlen: 10, wantNum: w + 1},
			{qlen: 5, wantNum: w},
			{qlen: 0, wantNum: m},
		}, want: counters{m, w + 1, w + 1 - m}})
	}
	cases = append(cases, scenario{name: "Q5 unhealthy replaced up to the minimum", min: "5", steps: []qstep{
		{qlen: -1, wantNum: 5},
		{qlen: -1, unhealthy: []string{"i-0001", "i-0003", "i-0005"}, wantNum: 5},
	}, want: counters{5, 8, 3}})

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := enginetest.New()
			e := engine.NewQueueLength()
			if err := e.Initialize(h, h.State, waters(tc.min)); err != nil {
				t.Fatal(err)
			}
			for n, s := range tc.steps {
				if s.qlen >= 0 {
					h.NewQueueLength(s.qlen)
				}
				for _, id := range s.unhealthy {
					h.NewHealth(id, false)
				}
				if err := e.Decide(h, h.State); err != nil {
					t.Fatalf("step %d: %v", n, err)
				}
				if h.NumLaunched != s.wantNum {
					t.Fatalf("step %d (qlen %d): num_launched %d, want %d", n, s.qlen, h.NumLaunched, s.wantNum)
				}
			}
			if diff := cmp.Diff(tc.want, countersOf(h)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestQueueLengthRules checks the rules the scenarios do not reach: no
// heading decision while an instance is pending (the minimum still is),
// no reading means no change, one change per cycle, no reconfigure.
func TestQueueLengthRules(t *testing.T) {
	t.Run("pending blocks the heading, not the minimum", func(t *testing.T) {
		h := enginetest.New()
		e := engine.NewQueueLength()
		if err := e.Initialize(h, h.State, waters("2")); err != nil {
			t.Fatal(err)
		}
		h.State.Instances["p"] = engine.Instance{InstanceID: "p", State: epu.Pending}
		h.NewQueueLength(1000)
		if err := e.Decide(h, h.State); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(counters{1, 1, 0}, countersOf(h)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if e.DEState() != epu.DEPending {
			t.Errorf("DE state %s, want PENDING_DE", e.DEState())
		}
	})
	t.Run("one launch per cycle however high", func(t *testing.T) {
		h := enginetest.New()
		e := engine.NewQueueLength()
		if err := e.Initialize(h, h.State, waters("0")); err != nil {
			t.Fatal(err)
		}
		h.NewQueueLength(100000)
		for cycle := 1; cycle <= 3; cycle++ {
			if err := e.Decide(h, h.State); err != nil {
				t.Fatal(err)
			}
			if h.NumLaunched != cycle {
				t.Fatalf("cycle %d: %d launched", cycle, h.NumLaunched)
			}
		}
	})
	t.Run("no reading no heading", func(t *testing.T) {
		h := enginetest.New()
		delete(h.State.Sensors, engine.QueueLengthSensor)
		e := engine.NewQueueLength()
		if err := e.Initialize(h, h.State, waters("1")); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := e.Decide(h, h.State); err != nil {
				t.Fatal(err)
			}
		}
		if diff := cmp.Diff(counters{1, 1, 0}, countersOf(h)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if e.DEState() != epu.DEStable {
			t.Errorf("DE state %s, want STABLE_DE", e.DEState())
		}
	})
	t.Run("a malformed reading is an error", func(t *testing.T) {
		h := enginetest.New()
		h.State.Sensors[engine.QueueLengthSensor] = epu.Sensor{SensorID: engine.QueueLengthSensor, Value: map[string]any{"queue_length": "many"}}
		e := engine.NewQueueLength()
		if err := e.Initialize(h, h.State, waters("0")); err != nil {
			t.Fatal(err)
		}
		err := e.Decide(h, h.State)
		if err == nil || err.Error() != `sensor queue-length: queue_length "many" is not an integer` {
			t.Errorf("Decide: %v", err)
		}
	})
	t.Run("no reconfigure", func(t *testing.T) {
		h := enginetest.New()
		if err := engine.NewQueueLength().Reconfigure(h, waters("3")); !errors.Is(err, engine.ErrNoReconfigure) {
			t.Errorf("Reconfigure: %v, want ErrNoReconfigure", err)
		}
	})
}

func TestQueueLengthConf(t *testing.T) {
	for _, tc := range []struct {
		name string
		conf engine.Conf
		want string
	}{
		{"no conf", nil, `bad engine configuration: the queuelen engine needs queuelen_high_water and queuelen_low_water`},
		{"no high water", engine.Conf{"queuelen_low_water": "10"}, `queuelen_high_water: bad engine configuration: required by the queuelen engine`},
		{"no low water", engine.Conf{"queuelen_high_water": 50.0}, `queuelen_low_water: bad engine configuration: required by the queuelen engine`},
		{"bad low water", engine.Conf{"queuelen_high_water": "50", "queuelen_low_water": "ten"}, `queuelen_low_water: bad engine configuration: "ten" is not an integer`},
		{"negative minimum", waters("-2"), `min_instances: bad engine configuration: -2 is negative`},
		{"ok", waters("2"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := enginetest.New()
			err := engine.NewQueueLength().Initialize(h, h.State, tc.conf)
			if tc.want == "" {
				if err != nil || h.Pulse.Milliseconds() != 5000 {
					t.Errorf("Initialize: %v, pulse %v", err, h.Pulse)
				}
				return
			}
			if err == nil || !errors.Is(err, engine.ErrBadConf) || err.Error() != tc.want {
				t.Errorf("Initialize: %v\nwant ErrBadConf %s", err, tc.want)
			}
		})
	}
}

package engine_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
	"github.com/cloudinitd/cloudinitd/epu/engine/enginetest"
)

// sensorConf is test_sensor.py's _get_config: min, max, metric "fake" by
// its Average, thresholds up 2.0 and down 0.5, one VM each way.
func sensorConf(min, max int) engine.Conf {
	return engine.Conf{
		"minimum_vms": float64(min), "maximum_vms": float64(max),
		"metric": "fake", "sample_function": "Average",
		"scale_up_threshold": 2.0, "scale_up_n_vms": 1.0,
		"scale_down_threshold": 0.5, "scale_down_n_vms": 1.0,
		"deployable_type": "dt1", "iaas_site": "chicago", "iaas_allocation": "small",
	}
}

var (
	dataUp   = map[string]map[string]float64{"fake": {"Average": 3}}       // series 1, 3, 5
	dataDown = map[string]map[string]float64{"fake": {"Average": 1.0 / 3}} // series 0, 1, 0
)

// TestSensorScenarios is test_sensor.py (reference §2.7): scaling up to
// the maximum on an average of 3, down to the minimum on 0.33, and unique
// values reused after a failure.
func TestSensorScenarios(t *testing.T) {
	type sstep struct {
		data     map[string]map[string]float64 // given to every instance before the decide
		fail     string                        // an instance set FAILED before the decide
		advance  time.Duration                 // clock moved before the decide
		want     counters
		wantVars []map[string]string // extravars of every launch so far, in order (nil: not checked)
	}
	for _, tc := range []struct {
		name  string
		conf  engine.Conf
		steps []sstep
	}{
		{"basic", sensorConf(1, 3), []sstep{
			{want: counters{1, 1, 0}},
			{data: dataUp, want: counters{2, 2, 0}},
			{data: dataUp, want: counters{3, 3, 0}},
			{data: dataUp, want: counters{3, 3, 0}}, // at the maximum
			{data: dataDown, want: counters{2, 3, 1}},
			{data: dataDown, want: counters{1, 3, 2}},
			{data: dataDown, want: counters{1, 3, 2}}, // at the minimum
		}},
		{"uniques", func() engine.Conf {
			c := sensorConf(2, 3)
			c["unique_key"], c["unique_values"] = "somekey", []any{1.0, 2.0, 3.0}
			return c
		}(), []sstep{
			{want: counters{2, 2, 0}, wantVars: []map[string]string{{"somekey": "1"}, {"somekey": "2"}}},
			{fail: "i-0001", want: counters{3, 3, 0}, wantVars: []map[string]string{{"somekey": "1"}, {"somekey": "2"}, {"somekey": "1"}}},
		}},
		{"uniques run out", func() engine.Conf {
			c := sensorConf(3, 3)
			c["unique_key"], c["unique_values"] = "somekey", []any{"a"}
			return c
		}(), []sstep{
			{want: counters{3, 3, 0}, wantVars: []map[string]string{{"somekey": "a"}, nil, nil}},
		}},
		{"cooldown", func() engine.Conf {
			c := sensorConf(1, 5)
			c["cooldown_period"] = "60"
			return c
		}(), []sstep{
			{want: counters{1, 1, 0}},                                          // no reading: to the minimum, no scaling
			{data: dataUp, want: counters{2, 2, 0}},                            // scales, cooldown starts
			{data: dataUp, advance: 59 * time.Second, want: counters{2, 2, 0}}, // within the cooldown
			{data: dataUp, advance: time.Second, want: counters{3, 3, 0}},      // 60 s after: scales again
		}},
		{"retirable nodes go first", func() engine.Conf {
			c := sensorConf(1, 3)
			c["retirable_nodes"] = []any{"i-0002"}
			return c
		}(), []sstep{
			{want: counters{1, 1, 0}},
			{data: dataUp, want: counters{2, 2, 0}},
			{data: dataDown, want: counters{1, 2, 1}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := enginetest.New()
			e := engine.NewSensor()
			if err := e.Initialize(h, h.State, tc.conf); err != nil {
				t.Fatal(err)
			}
			for n, s := range tc.steps {
				if s.data != nil {
					h.SetSensorData(s.data)
				}
				if s.fail != "" {
					h.SetState(s.fail, epu.Failed)
				}
				h.Clock = h.Clock.Add(s.advance)
				if err := e.Decide(h, h.State); err != nil {
					t.Fatalf("step %d: %v", n, err)
				}
				if diff := cmp.Diff(s.want, countersOf(h)); diff != "" {
					t.Fatalf("step %d (-want +got):\n%s", n, diff)
				}
				if s.wantVars != nil {
					var got []map[string]string
					for _, l := range h.Launches {
						got = append(got, l.Extravars)
					}
					if diff := cmp.Diff(s.wantVars, got); diff != "" {
						t.Fatalf("step %d extravars (-want +got):\n%s", n, diff)
					}
				}
			}
			if tc.name == "retirable nodes go first" && h.Active("i-0002") {
				t.Error("the retirable node survived the scale-down")
			}
			l := h.Launches[0]
			if diff := cmp.Diff([3]string{"dt1", "chicago", "small"}, [3]string{l.DeployableType, l.Site, l.Allocation}); diff != "" {
				t.Errorf("launch target (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSensorConf(t *testing.T) {
	with := func(k string, v any) engine.Conf {
		c := sensorConf(1, 3)
		c[k] = v
		return c
	}
	with2 := func(k1 string, v1 any, k2 string, v2 any) engine.Conf {
		c := with(k1, v1)
		c[k2] = v2
		return c
	}
	for _, tc := range []struct {
		name string
		conf engine.Conf
		want string
	}{
		{"no conf", nil, `bad engine configuration: the sensor engine needs a configuration`},
		{"negative minimum", with("minimum_vms", -1.0), `minimum_vms: bad engine configuration: -1 is negative`},
		{"minimum over maximum", with("minimum_vms", "4"), `minimum_vms: bad engine configuration: 4 exceeds maximum_vms 3`},
		{"threshold not a number", with("scale_up_threshold", "high"), `scale_up_threshold: bad engine configuration: "high" is not a number`},
		{"metric not a string", with("metric", 3.0), `metric: bad engine configuration: 3 (float64) is not a string`},
		{"values without key", with("unique_values", []any{"a"}), `unique_key: bad engine configuration: required with unique_values`},
		{"key without values", with("unique_key", "k"), `unique_values: bad engine configuration: required with unique_key`},
		{"empty values", with2("unique_key", "k", "unique_values", []any{}), `unique_values: bad engine configuration: empty; it needs at least one value with unique_key`},
		{"retirable not a list", with("retirable_nodes", "i-1"), `retirable_nodes: bad engine configuration: i-1 (string) is not a list`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := enginetest.New()
			err := engine.NewSensor().Initialize(h, h.State, tc.conf)
			if err == nil || !errors.Is(err, engine.ErrBadConf) || err.Error() != tc.want {
				t.Errorf("Initialize: %v\nwant ErrBadConf %s", err, tc.want)
			}
		})
	}
	t.Run("a refused reconfigure changes nothing", func(t *testing.T) {
		h := enginetest.New()
		e := engine.NewSensor()
		if err := e.Initialize(h, h.State, sensorConf(2, 3)); err != nil {
			t.Fatal(err)
		}
		if err := e.Reconfigure(h, engine.Conf{"maximum_vms": "5", "minimum_vms": "x"}); !errors.Is(err, engine.ErrBadConf) {
			t.Fatalf("Reconfigure: %v", err)
		}
		if err := e.Decide(h, h.State); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(counters{2, 2, 0}, countersOf(h)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

package engine_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
	"github.com/cloudinitd/cloudinitd/epu/engine/enginetest"
)

const benchInstances = 10000

// steady returns a harness holding n RUNNING instances with health OK, a
// few terminated ones (as a long-lived domain has), and an engine
// initialized on it and settled: a further decide changes nothing.
func steady(b *testing.B, e engine.Engine, conf engine.Conf, n int) *enginetest.Harness {
	b.Helper()
	h := enginetest.New()
	h.HealthChecked = true
	for range n {
		_, id, _ := h.Launch("", "", "", nil)
		h.NewHealth(id, true)
	}
	for i := range n / 100 { // 1% gone before
		id := fmt.Sprintf("gone-%04d", i)
		h.State.Instances[id] = engine.Instance{InstanceID: id, State: epu.Terminated}
	}
	for id, i := range h.State.Instances {
		i.SensorData = map[string]map[string]float64{"cpu": {"Average": 1}}
		h.State.Instances[id] = i
	}
	h.NewQueueLength(20)
	if err := e.Initialize(h, h.State, conf); err != nil {
		b.Fatal(err)
	}
	for range 2 { // npreserving launches its uniques, then trims the generic ones
		if err := e.Decide(h, h.State); err != nil {
			b.Fatal(err)
		}
	}
	h.TotalLaunched, h.TotalKilled = 0, 0
	for _, id := range h.Valid() {
		h.NewHealth(id, true)
	}
	return h
}

// BenchmarkDecide is one decide cycle of each engine over 10,000
// instances in steady state (every instance scanned, nothing to change),
// and over 1,000 to show the growth (n log n: a ratio near 10).
func BenchmarkDecide(b *testing.B) {
	for _, n := range []int{1000, benchInstances} {
		benchDecide(b, n)
	}
}

func benchDecide(b *testing.B, n int) {
	for _, bc := range []struct {
		name string
		e    func() engine.Engine
		conf engine.Conf
	}{
		{"npreserving", func() engine.Engine { return engine.NewNpreserving() }, engine.Conf{
			"preserve_n":       float64(n),
			"unique_instances": map[string]any{"a": map[string]any{"role": "a"}, "b": map[string]any{"role": "b"}},
		}},
		{"queuelen", func() engine.Engine { return engine.NewQueueLength() }, engine.Conf{
			"queuelen_high_water": "50", "queuelen_low_water": "10", "min_instances": float64(n),
		}},
		{"sensor", func() engine.Engine { return engine.NewSensor() }, engine.Conf{
			"minimum_vms": float64(n), "maximum_vms": float64(n),
			"metric": "cpu", "sample_function": "Average", "scale_up_threshold": 2.0, "scale_down_threshold": 0.5,
		}},
	} {
		b.Run(fmt.Sprintf("%s/%d", bc.name, n), func(b *testing.B) {
			e := bc.e()
			h := steady(b, e, bc.conf, n)
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime(b)
			for range b.N {
				if err := e.Decide(h, h.State); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
			if h.TotalLaunched != 0 || h.TotalKilled != 0 || len(h.Valid()) != n {
				b.Fatalf("decide changed a steady domain: %d launched, %d killed", h.TotalLaunched, h.TotalKilled)
			}
		})
	}
}

// BenchmarkDecideReplace is one decide cycle of npreserving over 10,000
// instances of which 100 turned unhealthy: 100 destroyed, 100 launched.
func BenchmarkDecideReplace(b *testing.B) {
	for range b.N {
		b.StopTimer()
		e := engine.NewNpreserving()
		h := steady(b, e, engine.Conf{"preserve_n": float64(benchInstances)}, benchInstances)
		for i := 1; i <= 100; i++ {
			h.NewHealth(fmt.Sprintf("i-%04d", i*97), false)
		}
		b.StartTimer()
		if err := e.Decide(h, h.State); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if h.TotalKilled != 100 || h.TotalLaunched != 100 {
			b.Fatalf("%d killed, %d launched", h.TotalKilled, h.TotalLaunched)
		}
	}
}

// cpuTime is the process's CPU time (user and system): steadier than wall
// time on a shared machine (it counts the garbage collector's work too).
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

package controller

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// BenchmarkDecideCycle is one decide cycle of a domain of 10,000 RUNNING
// instances, all healthy, under npreserving with the health monitor on:
// the monitor's pass, the stop-loss check, the snapshot and the engine's
// decide (nothing to launch or destroy, so no store write). cpu-ms/op is
// the CPU time of a cycle.
func BenchmarkDecideCycle(b *testing.B) {
	const n = 10000
	cfg := testConfig(b.TempDir(), "npreserving", engine.Conf{"preserve_n": float64(n)})
	cfg.Domains[0].MaxSize = n
	cfg.Domains[0].MonitorHealth = true
	reg := engine.Builtin()
	c, err := New(cfg, Deps{Engines: reg, Provisioner: &fakeProvisioner{}, Clock: newFakeClock()})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	d := c.domains["d"]
	now := c.env.clock.Now()
	for i := range n {
		id := fmt.Sprintf("node-%05d", i)
		d.instances[id] = engine.Instance{InstanceID: id, LaunchID: "l-" + id, State: epu.Running, StateTime: now, Health: epu.HealthOK}
		d.health.lastHeard[id] = now
	}
	ctx := context.Background()
	d.decide(ctx)
	if len(d.pending) != 0 {
		b.Fatalf("the settled domain queued %d actions", len(d.pending))
	}
	b.ResetTimer()
	cpu0 := cpuTime(b)
	for range b.N {
		d.decide(ctx)
	}
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// cpuTime is the process's user and system CPU time: on a shared machine
// the wall time of a cycle says more about the neighbours than about it.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

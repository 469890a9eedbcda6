package bootlevel

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/store"
)

// The dry-run boot benchmarks time what `cloudinitd boot --dryrun` does
// with a plan of n services over 10 levels: load the plan, record it, boot
// it on the fake driver in memory with the DryRunConnector. It must be
// linear: the 100k/10k ratio is at most 12 (docs/performance.md).

func BenchmarkDryRunBoot10k(b *testing.B)  { benchDryRunBoot(b, 10000) }
func BenchmarkDryRunBoot100k(b *testing.B) { benchDryRunBoot(b, 100000) }

func benchDryRunBoot(b *testing.B, n int) {
	dir := b.TempDir()
	top := writeScalePlan(b, dir, n, 10)
	env := map[string]string{"CLOUDINITD_FAKE_RUNNING_DELAY": "0", "CLOUDINITD_FAKE_TERMINATE_DELAY": "0"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	ctx := context.Background()
	b.ReportAllocs()
	var cpu, load time.Duration
	for i := 0; b.Loop(); i++ {
		cpu0, t0 := cpuTime(b), time.Now()
		p, err := plan.Load(ctx, top, plan.Options{LookupEnv: lookup})
		if err != nil {
			b.Fatal(err)
		}
		load += time.Since(t0)
		db, err := store.Create(ctx, filepath.Join(dir, "db"), fmt.Sprintf("r%d", i), store.Run{TopConf: p.TopFile})
		if err != nil {
			b.Fatal(err)
		}
		if err := Record(ctx, db, p); err != nil {
			b.Fatal(err)
		}
		cloud, err := fake.New(fake.Options{Memory: true, LookupEnv: lookup})
		if err != nil {
			b.Fatal(err)
		}
		eng := &Engine{DB: db, Drivers: func(iaas.Selector) (iaas.Driver, error) { return cloud, nil },
			Connector: DryRunConnector{}, LookupEnv: lookup}
		if err := eng.Boot(ctx, BootOptions{Prelaunch: true}); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime(b) - cpu0
		b.StopTimer()
		if err := db.Delete(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
	b.ReportMetric(float64(load)/float64(b.N)/1e6, "load-ms/op")
}

// cpuTime is the CPU time (user and system) the process has used: on a
// shared machine a steadier measure of work than wall time.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

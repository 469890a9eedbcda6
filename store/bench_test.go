package store

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
)

// cpuTime returns the CPU time (user and system) this process has used:
// the benchmarks report it per operation (cpu-ms/op), steadier than wall
// time on a shared machine.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// planOf returns n services spread over 10 levels, each with the 20 or so
// settings a resolved plan service has.
func planOf(n int) ([]Level, []Service) {
	var ls []Level
	for i := 1; i <= 10; i++ {
		ls = append(ls, Level{Number: i, Key: fmt.Sprintf("level%d", i), ConfFile: fmt.Sprintf("/plans/level%d.conf", i), Position: i - 1})
	}
	keys := []string{"allocation", "bootconf", "bootpgm", "bootpgm_args", "cloud", "deps", "hostname",
		"iaas", "iaas_key", "iaas_launch", "iaas_secret", "iaas_url", "image", "local_exe", "localsshkeypath",
		"pgm_timeout", "readypgm", "readypgm_args", "scp_username", "securitygroups", "ssh_username", "sshkeyname"}
	ss := make([]Service, n)
	for i := range ss {
		st := make([]Setting, len(keys))
		for k, key := range keys {
			st[k] = Setting{Key: key, Value: fmt.Sprintf("value-%d-%s", i, key), Source: "/plans/level.conf [svc-x]"}
		}
		st[8].Value, st[10].Value = "env.AWS_ACCESS_KEY_ID", "env.AWS_SECRET_ACCESS_KEY"
		ss[i] = Service{Name: fmt.Sprintf("svc-%05d", i), Level: i%10 + 1, Position: i / 10, Settings: st}
	}
	return ls, ss
}

func benchmarkPutServices(b *testing.B, n int) {
	ls, ss := planOf(n)
	benchPut(b, func(ctx context.Context, db *DB) error { return db.PutLevels(ctx, ls) },
		func(ctx context.Context, db *DB) error { return db.PutServices(ctx, ss) })
	b.ReportMetric(float64(n), "services/op")
}

// benchPut times put, after an untimed before, on a new record per
// iteration, and reports its CPU time (cpu-ms/op).
func benchPut(b *testing.B, before, put func(context.Context, *DB) error) {
	ctx := context.Background()
	dir := b.TempDir()
	b.ReportAllocs()
	var cpu time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		db, err := Create(ctx, dir, fmt.Sprintf("b%d", i), Run{})
		if err != nil {
			b.Fatal(err)
		}
		if before != nil {
			if err := before(ctx, db); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		cpu0 := cpuTime(b)
		if err := put(ctx, db); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime(b) - cpu0
		b.StopTimer()
		db.Delete()
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
}

func BenchmarkPutServices1k(b *testing.B)  { benchmarkPutServices(b, 1000) }
func BenchmarkPutServices10k(b *testing.B) { benchmarkPutServices(b, 10000) }

func BenchmarkServices10k(b *testing.B) {
	ls, ss := planOf(10000)
	benchServices(b, ls, ss)
}

// benchServices times store.Services on a record of ls and ss and reports
// its CPU time (cpu-ms/op).
func benchServices(b *testing.B, ls []Level, ss []Service) {
	ctx := context.Background()
	db, err := Create(ctx, b.TempDir(), "b", Run{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.PutPlan(ctx, ls, ss); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var cpu time.Duration
	for b.Loop() {
		cpu0 := cpuTime(b)
		got, err := db.Services(ctx)
		cpu += cpuTime(b) - cpu0
		if err != nil || len(got) != len(ss) || len(got[0].Settings) != len(ss[0].Settings) {
			b.Fatal(len(got), err)
		}
	}
	b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
}

func BenchmarkSetState(b *testing.B) {
	ctx := context.Background()
	ls, ss := planOf(100)
	db, err := Create(ctx, b.TempDir(), "b", Run{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.PutPlan(ctx, ls, ss); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := db.SetState(ctx, "svc-00042", StateRunning, "x"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLaunchWrites is the record's side of booting one service, the
// hot path of the scale profile (docs/performance.md): the writes every
// service makes through the single writer — launch intent and done, the
// step journal rows, running, booting, contextualized, ready — for 1,000
// (10,000) services at once, as the engine's pipelines make them.
func BenchmarkLaunchWrites1k(b *testing.B)  { benchmarkLaunchWrites(b, 1000) }
func BenchmarkLaunchWrites10k(b *testing.B) { benchmarkLaunchWrites(b, 10000) }

func benchmarkLaunchWrites(b *testing.B, n int) {
	ls, ss := planOf(n)
	benchPut(b, putPlan(ls, ss), func(ctx context.Context, db *DB) error {
		return eachService(ss, 0, func(s Service) error { return launchWrites(ctx, db, s.Name) })
	})
	b.ReportMetric(float64(len(ss)), "services/op")
}

// putPlan is a benchPut before that records the plan ls, ss: the state
// every iteration of a boot's writes starts from.
func putPlan(ls []Level, ss []Service) func(context.Context, *DB) error {
	return func(ctx context.Context, db *DB) error { return db.PutPlan(ctx, ls, ss) }
}

// eachService runs fn for every service at once, at most limit at a time
// (0: no limit), as a boot's goroutines write, and returns the first error.
func eachService(ss []Service, limit int, fn func(Service) error) error {
	var g errgroup.Group
	if limit > 0 {
		g.SetLimit(limit)
	}
	for _, s := range ss {
		g.Go(func() error { return fn(s) })
	}
	return g.Wait()
}

// launchWrites makes the writes of one service's boot, in the engine's
// order: 11 journal rows, as the scale suite's services write them (the
// steps' rows queued, as bootlevel queues them).
func launchWrites(ctx context.Context, db *DB, svc string) error {
	step := func(s string) error {
		_, err := db.QueueEvent(ctx, Event{Level: "DEBUG", Service: svc, Event: "step", Detail: s})
		return err
	}
	in, err := db.LaunchIntent(ctx, svc, 1, "tok-"+svc, "fake")
	if err != nil {
		return err
	}
	if err := step("launch"); err != nil {
		return err
	}
	if _, err := db.LaunchDone(ctx, in.ID, "i-"+svc, nil); err != nil {
		return err
	}
	if err := step("running"); err != nil {
		return err
	}
	if err := db.SetRunning(ctx, svc, "host-"+svc, "hostname host-"+svc); err != nil {
		return err
	}
	if err := step("connect"); err != nil {
		return err
	}
	if err := db.SetState(ctx, svc, StateBooting, ""); err != nil {
		return err
	}
	if err := step("bootpgm"); err != nil {
		return err
	}
	if err := db.SetState(ctx, svc, StateContextualized, ""); err != nil {
		return err
	}
	if err := step("readypgm"); err != nil {
		return err
	}
	return db.SetState(ctx, svc, StateReady, "")
}

// BenchmarkStateChanges10k is the service rows' share of the writer:
// 10,000 services booted at once (LaunchWrites' plan) change state four
// times each (running with its hostname, booting, contextualized, ready),
// the service-row changes of a boot after the launch, timed after the
// launches.
func BenchmarkStateChanges10k(b *testing.B) {
	ls, ss := planOf(10000)
	launched := func(ctx context.Context, db *DB) error {
		if err := db.PutPlan(ctx, ls, ss); err != nil {
			return err
		}
		return eachService(ss, 0, func(s Service) error {
			in, err := db.LaunchIntent(ctx, s.Name, 1, "tok-"+s.Name, "fake")
			if err == nil {
				_, err = db.LaunchDone(ctx, in.ID, "i-"+s.Name, nil)
			}
			return err
		})
	}
	benchPut(b, launched, func(ctx context.Context, db *DB) error {
		return eachService(ss, 0, func(s Service) error {
			if err := db.SetRunning(ctx, s.Name, "host-"+s.Name, "hostname host-"+s.Name); err != nil {
				return err
			}
			for _, st := range []State{StateBooting, StateContextualized, StateReady} {
				if err := db.SetState(ctx, s.Name, st, ""); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

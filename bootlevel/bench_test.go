package bootlevel

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/store"
)

// The scale benchmarks boot, check and terminate n services over 10 levels
// on the fake driver in memory with zero delays and the DryRunConnector (the
// bench harness's scale suite, in-process). Only the command is timed; plan
// load and Record are not. The goal: 10,000 services in <= 5 s and
// <= 300 MB peak RSS (measure RSS with `go run ./bench -suites scale`).

func BenchmarkBootFake1k(b *testing.B)       { benchCommand(b, 1000, "boot") }
func BenchmarkPrelaunchFake10k(b *testing.B) { benchCommand(b, 10000, "prelaunch") }
func BenchmarkBootFake10k(b *testing.B)      { benchCommand(b, 10000, "boot") }
func BenchmarkStatusFake1k(b *testing.B)     { benchCommand(b, 1000, "status") }
func BenchmarkStatusFake10k(b *testing.B)    { benchCommand(b, 10000, "status") }
func BenchmarkTerminateFake1k(b *testing.B)  { benchCommand(b, 1000, "terminate") }
func BenchmarkTerminateFake10k(b *testing.B) { benchCommand(b, 10000, "terminate") }

// The start of a boot, before the pre-launch: the image of the record read
// back (as a resumed boot does), or taken from what RecordImage wrote (as
// `cloudinitd boot` does).
func BenchmarkBeginFake10k(b *testing.B)         { benchCommand(b, 10000, "begin") }
func BenchmarkBeginRecordedFake10k(b *testing.B) { benchCommand(b, 10000, "begin-recorded") }

// benchCommand times one command on a fresh record of n services per
// iteration; status and terminate run on a booted record; prelaunch is
// the part of a boot before level 1 (the image read, every launch); begin
// is the image read alone, begin-recorded the image RecordImage returned
// taken instead.
// Besides wall time it reports the process's CPU time of the command
// (cpu-ms/op), steadier on a shared machine.
func benchCommand(b *testing.B, n int, cmd string) {
	dir := b.TempDir()
	top := writeScalePlan(b, dir, n, 10)
	env := map[string]string{"CLOUDINITD_FAKE_RUNNING_DELAY": "0", "CLOUDINITD_FAKE_TERMINATE_DELAY": "0"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	p, err := plan.Load(context.Background(), top, plan.Options{LookupEnv: lookup})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	var cpu time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		db, err := store.Create(ctx, filepath.Join(dir, "db"), fmt.Sprintf("r%d", i), store.Run{TopConf: p.TopFile})
		if err != nil {
			b.Fatal(err)
		}
		rec, err := RecordImage(ctx, db, p)
		if err != nil {
			b.Fatal(err)
		}
		cloud, err := fake.New(fake.Options{Memory: true, LookupEnv: lookup})
		if err != nil {
			b.Fatal(err)
		}
		eng := &Engine{DB: db, Drivers: func(iaas.Selector) (iaas.Driver, error) { return cloud, nil },
			Connector: DryRunConnector{}, LookupEnv: lookup}
		if cmd == "status" || cmd == "terminate" {
			if err := eng.Boot(ctx, BootOptions{Prelaunch: true}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		cpu0 := cpuTime(b)
		// The command's samples (and its goroutines') carry the label
		// phase=<command> (go tool pprof -tagfocus phase=boot): the
		// profile of a benchmark also holds the boot before status.
		pprof.Do(ctx, pprof.Labels("phase", cmd), func(ctx context.Context) {
			switch cmd {
			case "boot":
				err = eng.Boot(ctx, BootOptions{Prelaunch: true})
			case "prelaunch": // what comes before level 1: the image read, every launch
				var rn *run
				if rn, err = eng.begin(ctx, CommandBoot); err == nil {
					err = rn.prelaunch(ctx, rn.grouped())
				}
			case "begin":
				_, err = eng.begin(ctx, CommandBoot)
			case "begin-recorded":
				_, err = eng.beginFrom(ctx, CommandBoot, rec.take(db))
			case "status":
				err = eng.Status(ctx)
			case "terminate":
				err = eng.Terminate(ctx)
			}
		})
		cpu += cpuTime(b) - cpu0
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if err := db.Delete(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
}

// writeScalePlan writes a plan of n launched services with a bootpgm and a
// readypgm over levels levels, as the bench harness's scale suite does, and
// returns its top file.
func writeScalePlan(tb testing.TB, dir string, n, levels int) string {
	tb.Helper()
	pgm := filepath.Join(dir, "pgm.sh")
	if err := os.WriteFile(pgm, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		tb.Fatal(err)
	}
	var top strings.Builder
	top.WriteString("[runlevels]\n")
	for l := range levels {
		fmt.Fprintf(&top, "level%d: level%d.conf\n", l+1, l+1)
	}
	fmt.Fprintf(&top, "\n[defaults]\niaas: fake\nimage: bench-image\nfake_launch_delay: 0\nfake_running_delay: 0\nbootpgm: %s\nreadypgm: %s\n", pgm, pgm)
	if err := os.WriteFile(filepath.Join(dir, "top.conf"), []byte(top.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	for l := range levels {
		var b strings.Builder
		for i := l * n / levels; i < (l+1)*n/levels; i++ {
			fmt.Fprintf(&b, "[svc-s%05d]\nallocation: bench.small\n\n", i)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("level%d.conf", l+1)), []byte(b.String()), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return filepath.Join(dir, "top.conf")
}

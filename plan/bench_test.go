package plan

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The load benchmarks read generated plans: n services over 10 levels,
// each with a bootpgm, a deps file and references to a service of the
// level before (BenchmarkLoad*), and one service whose deps file is a
// chain of n rows, each referring to the one before (BenchmarkLoadChain*).
// Loading must be linear: the 100k/10k time ratio is at most 12
// (docs/performance.md).

func BenchmarkLoad10k(b *testing.B)       { benchLoad(b, writeWidePlan(b, 10000)) }
func BenchmarkLoad100k(b *testing.B)      { benchLoad(b, writeWidePlan(b, 100000)) }
func BenchmarkLoadChain10k(b *testing.B)  { benchLoad(b, writeChainPlan(b, 10000)) }
func BenchmarkLoadChain100k(b *testing.B) { benchLoad(b, writeChainPlan(b, 100000)) }

func benchLoad(b *testing.B, top string) {
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	for b.Loop() {
		if _, err := Load(context.Background(), top, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
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

// writeWidePlan writes a plan of n services over 10 levels and returns its
// top file. Every service reads the shared deps file, whose rows use the
// service's own name and the hostname of the first service of the level
// before.
func writeWidePlan(tb testing.TB, n int) string {
	tb.Helper()
	dir := tb.TempDir()
	const levels = 10
	var top strings.Builder
	top.WriteString("[defaults]\niaas: fake\nimage: img\nbootpgm: boot.sh\nbootpgm_args: ${.name} ${.queue}\ndeps: deps.conf\n\n[runlevels]\n")
	for l := range levels {
		fmt.Fprintf(&top, "level%d: level%d.conf\n", l+1, l+1)
	}
	files := map[string]string{
		"top.conf":  top.String(),
		"boot.sh":   "#!/bin/sh\n",
		"deps.conf": "[deps]\nname: ${.name}\nqueue: q-${.name}\n",
	}
	for l := range levels {
		var lf strings.Builder
		for i := l * n / levels; i < (l+1)*n/levels; i++ {
			fmt.Fprintf(&lf, "[svc-s%06d]\nallocation: small\n", i)
			if l > 0 {
				fmt.Fprintf(&lf, "deps2: deps2.conf\nreadypgm_args: ${s%06d.queue}\n", (l-1)*n/levels)
			}
			lf.WriteString("\n")
		}
		files[fmt.Sprintf("level%d.conf", l+1)] = lf.String()
	}
	files["deps2.conf"] = "[deps]\nbroker: ${s000000.hostname}\n"
	return writeFiles(tb, dir, files)
}

// writeChainPlan writes a plan of one service whose deps file has n rows,
// a0: x and aN: ${.aN-1}/N, and returns its top file.
func writeChainPlan(tb testing.TB, n int) string {
	tb.Helper()
	var deps strings.Builder
	deps.WriteString("[deps]\na0: x\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&deps, "a%d: ${.a%d}\n", i, i-1)
	}
	return writeFiles(tb, tb.TempDir(), map[string]string{
		"top.conf":    "[defaults]\nimage: img\n\n[runlevels]\nlevel1: level1.conf\n",
		"level1.conf": fmt.Sprintf("[svc-chain]\ndeps: deps.conf\nbootpgm_args: ${.a%d}\n", n-1),
		"deps.conf":   deps.String(),
	})
}

func writeFiles(tb testing.TB, dir string, files map[string]string) string {
	tb.Helper()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return filepath.Join(dir, "top.conf")
}

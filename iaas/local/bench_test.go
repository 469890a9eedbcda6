package local_test

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/local"
)

// The local driver's hot paths in a boot of many services (docs/
// performance.md, local4). Besides wall time each reports CPU time,
// steadier on a shared machine: cpu-ms/op of this process (the launcher),
// and where a server takes part, srv-cpu-ms/op of the instance server
// (utime + stime of /proc/PID/stat, in clock ticks: read over many
// iterations). In these benchmarks the server is the test binary
// re-executed (TestMain), whose start costs more than cloudinitd-instance's.

// BenchmarkLaunch launches one instance per iteration: the record, the
// keys, the address, the server's start and its word that it is ready.
func BenchmarkLaunch(b *testing.B) {
	dir := b.TempDir()
	d := newDriver(b, dir)
	var refs []iaas.Ref
	b.Cleanup(func() { terminateAll(b, d, refs) })
	var cpu time.Duration
	for i := 0; b.Loop(); i++ {
		c0 := selfCPU(b)
		inst, err := d.Launch(context.Background(), iaas.LaunchSpec{
			Run: iaas.RunID{Name: "bench"}, Service: "s" + strconv.Itoa(i), Attempt: 1,
			ClientToken: iaas.ClientToken("bench", "s"+strconv.Itoa(i), 1),
		})
		cpu += selfCPU(b) - c0
		if err != nil {
			b.Fatal(err)
		}
		refs = append(refs, ref(inst))
	}
	b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkDescribeRunning describes a running instance: its record, its
// server's pid, its ready file and whether its address answers.
func BenchmarkDescribeRunning(b *testing.B) {
	dir := b.TempDir()
	d := newDriver(b, dir)
	inst := waitRunning(b, d, launchB(b, d, "bench", "web"))
	pid := serverPID(b, dir, inst)
	ctx := context.Background()
	c0, s0 := selfCPU(b), procCPU(b, pid)
	for b.Loop() {
		got, err := d.Describe(ctx, ref(inst))
		if err != nil || got[0].State != iaas.StateRunning {
			b.Fatalf("Describe: %v %v", err, got)
		}
	}
	b.ReportMetric(float64(selfCPU(b)-c0)/float64(b.N)/1e6, "cpu-ms/op")
	b.ReportMetric(float64(procCPU(b, pid)-s0)/float64(b.N)/1e6, "srv-cpu-ms/op")
}

// BenchmarkTerminate16 terminates 16 running instances at once, as the
// engine terminates a level's services: each Terminate call sweeps /proc
// until its instance's processes are gone.
func BenchmarkTerminate16(b *testing.B) {
	const n = 16
	dir := b.TempDir()
	d := newDriver(b, dir)
	var cpu time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		refs := make([]iaas.Ref, n)
		for j := range refs {
			refs[j] = ref(launchB(b, d, "bench"+strconv.Itoa(i), "s"+strconv.Itoa(j)))
		}
		b.StartTimer()
		c0 := selfCPU(b)
		var wg sync.WaitGroup
		errs := make([]error, n)
		for j := range refs {
			wg.Go(func() { errs[j] = d.Terminate(context.Background(), refs[j]) })
		}
		wg.Wait()
		cpu += selfCPU(b) - c0
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
}

// launchB launches one instance of run; the caller terminates it.
func launchB(b *testing.B, d *local.Driver, run, service string) iaas.Instance {
	b.Helper()
	inst, err := d.Launch(context.Background(), iaas.LaunchSpec{
		Run: iaas.RunID{Name: run}, Service: service, Attempt: 1, ClientToken: iaas.ClientToken(run, service, 1),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { terminateAll(b, d, []iaas.Ref{ref(inst)}) })
	return inst
}

func terminateAll(b *testing.B, d *local.Driver, refs []iaas.Ref) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.Terminate(ctx, refs...); err != nil {
		b.Errorf("cleanup: Terminate: %v", err)
	}
}

// selfCPU is this process's user and system time.
func selfCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is pid's user and system time, with its waited-for children's.
func procCPU(b *testing.B, pid int) time.Duration {
	s, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		b.Fatal(err)
	}
	f := bytes.Fields(s[bytes.LastIndexByte(s, ')')+1:])
	var ticks int64
	for _, i := range []int{11, 12, 13, 14} { // utime stime cutime cstime
		v, err := strconv.ParseInt(string(f[i]), 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		ticks += v
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

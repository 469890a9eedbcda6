package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// describeMachine says what the figures were measured on: CPUs, memory,
// kernel and the versions of every contender's software.
func describeMachine(ctx context.Context) []string {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	lines := []string{
		fmt.Sprintf("CPU: %d × %s", runtime.NumCPU(), procField("/proc/cpuinfo", "model name")),
		"memory: " + procField("/proc/meminfo", "MemTotal"),
		"kernel: " + firstOutput(ctx, "uname", "-sr"),
		"Go: " + runtime.Version(),
		"OpenSSH: " + firstOutput(ctx, "ssh", "-V"),
		"parallel-ssh: " + firstOutput(ctx, "parallel-ssh", "--version"),
		"ansible: " + firstOutput(ctx, "ansible", "--version"),
		"load average at start (1, 5, 15 min): " + loadAverage(),
	}
	return lines
}

// loadAverage is the first three fields of /proc/loadavg: the machine may
// be shared, and other work skews every figure.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// procField is the value of the first "key: value" line of a /proc file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// firstOutput is the first line a command prints (stdout or stderr).
func firstOutput(ctx context.Context, name string, args ...string) string {
	out, err := command(ctx, name, args...).CombinedOutput()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if err != nil && line == "" {
		return "not installed"
	}
	return line
}

// busyCPU is the CPU time the machine has spent busy since boot (user,
// nice, system, irq and softirq of every CPU, from /proc/stat); 0 when it
// cannot be read. Differences of it measure all processes at once,
// including those a contender does not wait for (sshd, ssh masters).
func busyCPU() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7} {
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/stat: 100 on every Linux
// architecture Go supports.
const clockTicks = 100

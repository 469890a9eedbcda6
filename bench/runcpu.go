package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runCPU is the CPU time of the processes of the run alone, unlike
// busyCPU's whole machine: user and system time of every process the
// harness has waited for (the contender with its waited-for descendants,
// and the orphans reapStrays ended: getrusage RUSAGE_CHILDREN), plus that
// of the sshd listeners with every connection and session process they
// have waited for (utime, stime, cutime and cstime of /proc/PID/stat). The
// difference of two readings around a run, once every connection of the
// run has ended (waitConnections), is what the run made this machine
// compute, whatever else ran then: the figure that survives colleagues'
// load.
func runCPU(listeners map[int]bool) time.Duration {
	var ru syscall.Rusage
	var d time.Duration
	if syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru) == nil {
		d = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	for pid := range listeners {
		d += statCPU(pid)
	}
	return d
}

// statCPU is utime+stime+cutime+cstime of /proc/PID/stat; 0 when it cannot
// be read.
func statCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	// After the name: state(3) ppid(4) ... utime(14) stime(15) cutime(16)
	// cstime(17); f[0] is field 3.
	f := strings.Fields(s[i+1:])
	if len(f) < 15 {
		return 0
	}
	var ticks int64
	for _, k := range []int{11, 12, 13, 14} {
		n, err := strconv.ParseInt(f[k], 10, 64)
		if err != nil {
			return 0
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// waitConnections waits (at most limit) until no listener has a child left:
// every connection process of the run has ended and been waited for, so
// its CPU time is in the listener's cutime/cstime. It reports whether that
// happened in time.
func waitConnections(listeners map[int]bool, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	wait := time.Millisecond
	for {
		busy, err := anyChildOf(listeners)
		if err != nil || !busy {
			return err == nil
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(wait) // polling /proc: there is nothing to wait on
		wait = min(2*wait, 50*time.Millisecond)
	}
}

// anyChildOf reports whether some process's parent is in parents.
func anyChildOf(parents map[int]bool) (bool, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return false, fmt.Errorf("list processes: %w", err)
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		if p, ok := statPPID(string(b)); ok && parents[p] {
			return true, nil
		}
	}
	return false, nil
}

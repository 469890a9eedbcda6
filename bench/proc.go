package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// becomeSubreaper makes this process the reaper of every orphan it leaves
// behind: ssh ControlPersist masters daemonize, and the per-connection sshd
// children outlive their listener, yet both become our children, so
// reapStrays can find and end them.
func becomeSubreaper() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("set child subreaper: %w", err)
	}
	return nil
}

// command prepares a child in its own process group (so the terminal's
// Ctrl-C reaches only the harness, which then cleans up), killed with its
// whole group when ctx ends, and killed by the kernel if the harness dies.
func command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// runResult is what one timed child run gives back.
type runResult struct {
	Wall   time.Duration
	CPU    time.Duration // user and system time of the child (and its waited-for children)
	MaxRSS int64         // peak resident set of the child, bytes
}

// runTimed runs cmd to completion and measures its wall time from start to
// exit. On failure the error carries the tail of its combined output.
func runTimed(cmd *exec.Cmd) (runResult, error) {
	return runWatched(cmd, 0)
}

// errRSSCap marks a child killed for growing past its memory cap.
var errRSSCap = errors.New("killed: resident set above the cap")

// runWatched is runTimed that also kills the child's process group when its
// resident set passes maxRSS bytes (0: no cap), polled every 100ms, so a
// runaway engine cannot take the (shared) machine down.
func runWatched(cmd *exec.Cmd, maxRSS int64) (runResult, error) {
	var out bytes.Buffer
	if cmd.Stdout == nil {
		cmd.Stdout = &out
	}
	if cmd.Stderr == nil {
		cmd.Stderr = &out
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return runResult{}, fmt.Errorf("%s: %w", filepath.Base(cmd.Path), err)
	}
	var capped atomic.Bool
	done := make(chan struct{})
	var wg sync.WaitGroup
	if maxRSS > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			watchRSS(cmd.Process.Pid, maxRSS, done, &capped)
		}()
	}
	err := cmd.Wait()
	wall := time.Since(start)
	close(done)
	wg.Wait()
	res := runResult{Wall: wall}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.MaxRSS = ru.Maxrss * 1024 // Linux reports KiB
		res.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if capped.Load() {
		err = fmt.Errorf("%w (%d MiB)", errRSSCap, maxRSS>>20)
	}
	if err != nil {
		return res, fmt.Errorf("%s: %w%s", filepath.Base(cmd.Path), err, tail(out.String(), 15))
	}
	return res, nil
}

// watchRSS kills pid's process group once its VmRSS passes maxRSS, until
// done closes.
func watchRSS(pid int, maxRSS int64, done <-chan struct{}, capped *atomic.Bool) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		if procStatusBytes(pid, "VmRSS:") > maxRSS {
			capped.Store(true)
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			return
		}
	}
}

// procStatusBytes reads a "kB" field of /proc/PID/status (pid 0: self), in
// bytes; 0 when unknown.
func procStatusBytes(pid int, field string) int64 {
	path := "/proc/self/status"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

// tail returns the last n lines of s, indented, after a newline; "" when s
// is empty.
func tail(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "\n    " + strings.Join(lines, "\n    ")
}

// reapStrays kills and waits for every child of this process that is not in
// keep: orphans adopted as subreaper (ControlPersist masters, sshd session
// processes) and zombies. Call it only when no exec.Cmd other than those in
// keep is running, or it would steal their exit status.
func reapStrays(keep map[int]bool) error {
	self := os.Getpid()
	var errs []error
	for range 50 {
		pids, err := childPIDs(self)
		if err != nil {
			return err
		}
		var strays []int
		for _, pid := range pids {
			if !keep[pid] {
				strays = append(strays, pid)
			}
		}
		if len(strays) == 0 {
			return errors.Join(errs...)
		}
		for _, pid := range strays {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		for _, pid := range strays {
			var ws syscall.WaitStatus
			if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil && !errors.Is(err, syscall.ECHILD) {
				errs = append(errs, fmt.Errorf("wait for stray %d: %w", pid, err))
			}
		}
	}
	return errors.Join(append(errs, errors.New("strays keep appearing"))...)
}

// childPIDs lists the processes whose parent is ppid, from /proc.
func childPIDs(ppid int) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		if p, ok := statPPID(string(b)); ok && p == ppid {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// statPPID reads the parent pid from a /proc/PID/stat line; the command
// name in parentheses may itself hold spaces and parentheses.
func statPPID(stat string) (int, bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	p, err := strconv.Atoi(f[1])
	return p, err == nil
}

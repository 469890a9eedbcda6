package local

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// procStat is what we read of /proc/<pid>/stat.
type procStat struct {
	State byte   // R, S, D, Z, ...
	PGID  int    // process group
	Start uint64 // start time in clock ticks since boot
}

func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	// The command name may hold spaces and parentheses: split after the
	// last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	pgid, err1 := strconv.Atoi(f[2])
	start, err2 := strconv.ParseUint(f[19], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return procStat{State: f[0][0], PGID: pgid, Start: start}, nil
}

// processAlive reports whether pid is the process that started at start
// (guarding against pid reuse) and has not exited (zombies count as dead).
func processAlive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	st, err := readProcStat(pid)
	if err != nil {
		return false
	}
	return st.Start == start && st.State != 'Z' && st.State != 'X'
}

// marked is a live process carrying an instance's marker.
type marked struct {
	PID  int
	PGID int
}

// markedProcesses scans /proc for processes whose environment holds
// EnvMarker=<id>. Processes we may not read (other users) are skipped.
func markedProcesses(id string) ([]marked, error) {
	all, err := scanMarked()
	return all[id], err
}

// scanMarked scans /proc once for every process carrying a marker and
// returns them by instance id (a process whose environment holds the
// marker more than once is listed under each id). Processes we may not
// read (other users) are skipped.
func scanMarked() (map[string][]marked, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	prefix := []byte(EnvMarker + "=")
	self := os.Getpid()
	out := map[string][]marked{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !bytes.Contains(env, prefix) {
			continue
		}
		ids := markerIDs(env, prefix)
		if len(ids) == 0 {
			continue
		}
		st, err := readProcStat(pid)
		if err != nil || st.State == 'Z' || st.State == 'X' {
			continue
		}
		for _, id := range ids {
			out[id] = append(out[id], marked{PID: pid, PGID: st.PGID})
		}
	}
	return out, nil
}

// markerIDs returns the values of the NUL-separated environ's entries
// that start with prefix (EnvMarker=).
func markerIDs(environ, prefix []byte) []string {
	var ids []string
	for len(environ) > 0 {
		var e []byte
		e, environ, _ = bytes.Cut(environ, []byte{0})
		if id, ok := bytes.CutPrefix(e, prefix); ok {
			ids = append(ids, string(id))
		}
	}
	return ids
}

// signalMarked sends sig to every marked process of id and to its process
// group, never to our own group. It returns how many processes it found.
func signalMarked(id string, sig syscall.Signal) (int, error) {
	procs, err := markedProcesses(id)
	if err != nil {
		return 0, err
	}
	signalProcs(procs, sig)
	return len(procs), nil
}

// signalProcs sends sig to every process of procs and to its process
// group, never to our own group.
func signalProcs(procs []marked, sig syscall.Signal) {
	own := syscall.Getpgrp()
	groups := map[int]bool{}
	for _, p := range procs {
		_ = syscall.Kill(p.PID, sig)
		if p.PGID > 1 && p.PGID != own && !groups[p.PGID] {
			groups[p.PGID] = true
			_ = syscall.Kill(-p.PGID, sig)
		}
	}
}

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// The overlap plan: levels of services whose instances take startup to run
// (fake_running_delay) and whose boot program takes work (a sleep, run
// locally: local_exe), so the least possible boot time is known.
const (
	overlapLevels   = 5
	overlapServices = 3 // per level
	overlapStartup  = 2 * time.Second
	overlapWork     = time.Second
	overlapMax      = 1.05
)

// overlapResult is one boot of a plan whose least possible time is known.
type overlapResult struct {
	Plan     string
	Wall     time.Duration // Engine.Boot, start to end
	Critical time.Duration // the least possible wall time
	Max      float64       // goal for Wall/Critical; 0: for information
	Err      string
}

// criticalPath is the least time to boot levels whose instances need
// startup[k] to run and whose services then need work[k]: a level starts
// when the previous one is done and its instances run. With pre-launch
// every instance starts at time 0; without, when its level starts.
func criticalPath(startup, work []time.Duration, prelaunch bool) time.Duration {
	var done time.Duration
	for k := range work {
		up := startup[k]
		if !prelaunch {
			up += done
		}
		done = max(done, up) + work[k]
	}
	return done
}

// runOverlap boots the overlap plan with pre-launch (the goal: wall over
// critical path ≤ 1.05) and, for comparison, without.
func runOverlap(ctx context.Context, self, work string, progress io.Writer) ([]overlapResult, error) {
	dir := filepath.Join(work, "overlap")
	progs, err := writePrograms(filepath.Join(dir, "programs"))
	if err != nil {
		return nil, err
	}
	slow := filepath.Join(dir, "programs", "work.sh")
	text := fmt.Sprintf("#!/bin/sh\n# bench overlap boot program: known work, then the marker.\nsleep %g\necho booted > %s\n",
		overlapWork.Seconds(), markerName)
	if err := os.WriteFile(slow, []byte(text), 0o755); err != nil {
		return nil, err
	}
	spec := planSpec{Defaults: map[string]string{
		"iaas":               "fake",
		"image":              "bench-image",
		"fake_launch_delay":  "0",
		"fake_running_delay": overlapStartup.String(),
		"local_exe":          "true",
		"bootpgm":            slow,
		"readypgm":           progs.Ready,
	}}
	startup := make([]time.Duration, overlapLevels)
	works := make([]time.Duration, overlapLevels)
	for l := range overlapLevels {
		startup[l], works[l] = overlapStartup, overlapWork
		var names []string
		var svcs []map[string]string
		for i := range overlapServices {
			names = append(names, fmt.Sprintf("l%ds%d", l+1, i+1))
			svcs = append(svcs, map[string]string{"allocation": "bench.small"})
		}
		spec.Names = append(spec.Names, names)
		spec.Levels = append(spec.Levels, svcs)
	}
	top, err := writePlan(filepath.Join(dir, "plan"), spec)
	if err != nil {
		return nil, err
	}
	var out []overlapResult
	for _, pre := range []bool{true, false} {
		r := overlapResult{
			Plan:     fmt.Sprintf("%d levels × %d services, start-up %s, work %s, pre-launch %v", overlapLevels, overlapServices, overlapStartup, overlapWork, pre),
			Critical: criticalPath(startup, works, pre),
		}
		if pre {
			r.Max = overlapMax
		}
		name := "prelaunch"
		if !pre {
			name = "no-prelaunch"
		}
		fmt.Fprintf(progress, "overlap: %s\n", r.Plan)
		cmd := command(ctx, self, "child", "boot", "-plan", top, "-db", filepath.Join(dir, "record-"+name),
			"-workdir", filepath.Join(dir, "work-"+name), "-connector", "ssh", fmt.Sprintf("-prelaunch=%v", pre))
		cmd.Env = append(os.Environ(), "CLOUDINITD_FAKE_MEMORY=true")
		st, _, err := runBootChild(cmd, 0)
		if err != nil {
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			r.Err = err.Error()
			fmt.Fprintf(progress, "  FAILED: %v\n", err)
		} else {
			r.Wall = time.Duration(st.BootMS * float64(time.Millisecond))
			fmt.Fprintf(progress, "  boot %.2fs, critical path %.2fs\n", r.Wall.Seconds(), r.Critical.Seconds())
		}
		out = append(out, r)
	}
	return out, nil
}

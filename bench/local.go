package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The goals of issue 17 for the local driver.
const (
	localServices = 200
	localMaxBoot  = 3 * time.Second
	localMaxRSS   = 8 << 20
	// localIdle is how long the suite waits after the boot before it reads
	// the instances' memory: every instance has then had no connection
	// for longer than its server's trim delay (iaas/local, 2 s).
	localIdle = 5 * time.Second
)

// localResult is one boot of localServices services on the local driver.
type localResult struct {
	Services  int
	Boot      time.Duration // `cloudinitd boot`, start to exit
	Terminate time.Duration // `cloudinitd terminate`, start to exit
	// Floor is the local floor's run (localFloorMain), start to exit,
	// just before the boot; FloorErr says why it failed.
	Floor    time.Duration
	FloorErr string
	// Per idle instance (the server process), over every instance.
	RSSMedian, RSSMax, PSSMedian int64
	// MachinePeak is the most the machine's memory in use (MemTotal -
	// MemAvailable) rose above its level before the boot, during the boot
	// and the idle wait.
	MachinePeak int64
	Err         string
}

// localEnv is what the local suite needs.
type localEnv struct {
	work, self, cli string
	n               int
	progress        io.Writer
}

// runLocal boots env.n services of one level on the local driver with the
// real program (`cloudinitd boot PLAN -n benchlocal -d DB -q`, the state
// of the instances under DB/local), lets the instances go idle, reads the
// resident set of every instance server, and terminates the run.
func runLocal(ctx context.Context, env localEnv) (res localResult, err error) {
	res.Services = env.n
	dir := filepath.Join(env.work, "local")
	progs, err := writePrograms(filepath.Join(dir, "programs"))
	if err != nil {
		return res, err
	}
	spec := planSpec{Defaults: map[string]string{
		"iaas": "local", "image": "local", "allocation": "small",
		"bootpgm": progs.Boot, "readypgm": progs.Ready,
	}}
	var names []string
	var level []map[string]string
	for i := range env.n {
		names = append(names, fmt.Sprintf("l%03d", i+1))
		level = append(level, map[string]string{})
	}
	spec.Names, spec.Levels = [][]string{names}, [][]map[string]string{level}
	top, err := writePlan(filepath.Join(dir, "plan"), spec)
	if err != nil {
		return res, err
	}
	db := filepath.Join(dir, "record")
	fmt.Fprintf(env.progress, "local: %d services on the local driver\n", env.n)
	if err := runLocalFloor(ctx, env, &res, progs); err != nil {
		return res, err
	}
	defer func() {
		t := time.Now()
		cmd := command(context.WithoutCancel(ctx), env.cli, "terminate", "benchlocal", "-d", db, "-q")
		if _, terr := runTimed(cmd); terr != nil && res.Err == "" {
			res.Err = fmt.Sprintf("terminate: %v", terr)
		}
		res.Terminate = time.Since(t)
	}()
	base := memInUse()
	peak := newPeakSampler(base)
	cmd := command(ctx, env.cli, "boot", top, "-n", "benchlocal", "-d", db, "-q")
	rr, err := runTimed(cmd)
	res.Boot = rr.Wall
	if err != nil {
		peak.stop()
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		res.Err = err.Error()
		fmt.Fprintf(env.progress, "  FAILED after %.2fs: %v\n", rr.Wall.Seconds(), err)
		return res, nil
	}
	select {
	case <-ctx.Done():
		peak.stop()
		return res, ctx.Err()
	case <-time.After(localIdle):
	}
	res.MachinePeak = peak.stop()
	rss, pss, err := instanceMemory(filepath.Join(db, "local"))
	if err != nil {
		res.Err = err.Error()
		return res, nil
	}
	if len(rss) != env.n {
		res.Err = fmt.Sprintf("%d instance servers running, want %d", len(rss), env.n)
		return res, nil
	}
	res.RSSMedian, res.RSSMax, res.PSSMedian = medianBytes(rss), slices.Max(rss), medianBytes(pss)
	fmt.Fprintf(env.progress, "  boot %.2fs; idle instance RSS median %s, max %s (PSS %s); machine peak +%s\n",
		res.Boot.Seconds(), mib(res.RSSMedian), mib(res.RSSMax), mib(res.PSSMedian), mib(res.MachinePeak))
	return res, nil
}

// instanceMemory reads the resident set (VmRSS) and proportional set
// (Pss) of every running instance server under stateDir (<id>/meta.json).
func instanceMemory(stateDir string) (rss, pss []int64, err error) {
	metas, err := filepath.Glob(filepath.Join(stateDir, "*", "meta.json"))
	if err != nil {
		return nil, nil, err
	}
	for _, m := range metas {
		b, err := os.ReadFile(m)
		if err != nil {
			return nil, nil, err
		}
		var meta struct {
			PID int `json:"pid"`
		}
		if err := json.Unmarshal(b, &meta); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", m, err)
		}
		r := procStatusBytes(meta.PID, "VmRSS:")
		if meta.PID == 0 || r == 0 {
			continue // not running
		}
		rss = append(rss, r)
		pss = append(pss, smapsRollup(meta.PID, "Pss:"))
	}
	return rss, pss, nil
}

// smapsRollup reads a "kB" field of /proc/PID/smaps_rollup, in bytes.
func smapsRollup(pid int, field string) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return 0
	}
	s := bufio.NewScanner(strings.NewReader(string(b)))
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), field); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}

func medianBytes(xs []int64) int64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// memInUse is MemTotal - MemAvailable of /proc/meminfo, in bytes.
func memInUse() int64 {
	total, avail := meminfo("MemTotal:"), meminfo("MemAvailable:")
	return total - avail
}

func meminfo(field string) int64 {
	v := procField("/proc/meminfo", strings.TrimSuffix(field, ":"))
	kb, err := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64)
	if err != nil {
		return 0
	}
	return kb * 1024
}

// peakSampler samples memInUse every 50 ms until stopped.
type peakSampler struct {
	base int64
	done chan struct{}
	wg   sync.WaitGroup
	peak int64
}

func newPeakSampler(base int64) *peakSampler {
	p := &peakSampler{base: base, done: make(chan struct{}), peak: base}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-t.C:
				p.peak = max(p.peak, memInUse())
			}
		}
	}()
	return p
}

// stop ends the sampling and returns the peak above the base.
func (p *peakSampler) stop() int64 {
	close(p.done)
	p.wg.Wait()
	return p.peak - p.base
}

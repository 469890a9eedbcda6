package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Goals of the elastic-layer issue for the provisioner.
const (
	epuMaxRatio = 2.0       // provisioner wall / floor wall, each phase
	epuMaxRSS   = 300 << 20 // the provisioner's peak RSS
	epuGoalAt   = 10000
	// epuQueryPeriod is the provisioner's query period in the suite: the
	// time from a launch to STARTED (then RUNNING) is at least one period.
	epuQueryPeriod = 250 * time.Millisecond
	// epuPoll is the harness's health and terminate_all polls: a phase
	// ends at the first poll that sees it done, so a phase is measured up
	// to one period long (the floor times itself exactly). The provisioner
	// answers health from counts kept in memory and terminate_all from its
	// image of the records (a few milliseconds at 10,000 nodes), so the
	// polls cost it little; at 500 ms, when each poll read every record
	// (~120 ms), they were a phase's largest rounding.
	epuPoll        = 100 * time.Millisecond
	epuWorkerType  = "worker"
	epuClients     = 16 // provision requests in flight, as a controller's launches
	epuSecretBytes = 32
)

// epuResult is one run of the epu suite: n workers to RUNNING and
// terminate_all to none, by the provisioner and by the floor.
type epuResult struct {
	Workers        int
	Up, Down       time.Duration // the provisioner, seen from its client
	FloorUp        time.Duration
	FloorDown      time.Duration
	MaxRSS         int64 // the provisioner child's peak RSS
	FloorRSS       int64
	Launched, Live int // the provisioner's driver at the end
	Answered       int // provision requests answered (all n unless it failed)
	Err            string
}

func (r epuResult) upRatio() float64   { return r.Up.Seconds() / r.FloorUp.Seconds() }
func (r epuResult) downRatio() float64 { return r.Down.Seconds() / r.FloorDown.Seconds() }

// epuEnv is what the epu suite needs.
type epuEnv struct {
	self, work string
	timeout    time.Duration // for each child
	cpuProfile string        // when set, the provisioner child's CPU profile goes here
	progress   io.Writer
}

// runEPU measures the floor, then the provisioner, for n workers.
func runEPU(ctx context.Context, env epuEnv, n int) (epuResult, error) {
	res := epuResult{Workers: n}
	dir := filepath.Join(env.work, fmt.Sprintf("epu-%d", n))
	fmt.Fprintf(env.progress, "epu: floor, %d workers\n", n)
	fctx, fcancel := context.WithTimeout(ctx, env.timeout)
	fl, rr, err := runEPUChild(command(fctx, env.self, "child", "epu-floor", "-n", strconv.Itoa(n), "-dir", filepath.Join(dir, "floor")))
	fcancel()
	if err == nil && (fl.Launched != n || fl.Live != 0) {
		err = fmt.Errorf("floor: the driver holds %d instances, %d live; want %d, none live", fl.Launched, fl.Live, n)
	}
	if err != nil {
		return epuFailed(ctx, env, res, err)
	}
	res.FloorUp, res.FloorDown, res.FloorRSS = msDur(fl.UpMS), msDur(fl.DownMS), rr.MaxRSS
	fmt.Fprintf(env.progress, "  up %.2fs, down %.2fs (%d rows), CPU %.2fs\n", res.FloorUp.Seconds(), res.FloorDown.Seconds(), fl.Rows, rr.CPU.Seconds())

	fmt.Fprintf(env.progress, "epu: provisioner, %d workers\n", n)
	cfgPath, stateDir, err := writeProvisionerConfig(filepath.Join(dir, "provisioner"), n)
	if err != nil {
		return res, err
	}
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		return res, err
	}
	cctx, cancel := context.WithTimeout(ctx, env.timeout)
	defer cancel()
	args := []string{"child", "epu-provisioner", "-config", cfgPath, "-log", filepath.Join(dir, "provisioner.log")}
	if env.cpuProfile != "" {
		args = append(args, "-cpuprofile", env.cpuProfile)
	}
	cmd := command(cctx, env.self, args...)
	cmd.Stdin = stdinR
	var (
		st       epuChildStats
		childErr error
		exited   = make(chan struct{})
	)
	go func() {
		defer close(exited)
		st, rr, childErr = runEPUChild(cmd)
	}()
	driveErr := driveProvisioner(cctx, stateDir, n, &res, exited)
	_ = stdinW.Close() // the child stops serving, drains and reports
	<-exited
	_ = stdinR.Close()
	res.MaxRSS, res.Launched, res.Live = rr.MaxRSS, st.Launched, st.Live
	if cctx.Err() != nil && ctx.Err() == nil {
		driveErr = fmt.Errorf("killed after %s (-epu-timeout) with %d of %d provision requests answered", env.timeout, res.Answered, n)
	}
	if err := firstErr(driveErr, childErr); err != nil {
		return epuFailed(ctx, env, res, err)
	}
	if res.Launched != n || res.Live != 0 {
		return epuFailed(ctx, env, res, fmt.Errorf("the provisioner's driver holds %d instances, %d live; want %d, none live", res.Launched, res.Live, n))
	}
	fmt.Fprintf(env.progress, "  up %.2fs, down %.2fs, peak RSS %s, CPU %.2fs\n", res.Up.Seconds(), res.Down.Seconds(), mib(res.MaxRSS), rr.CPU.Seconds())
	return res, nil
}

func epuFailed(ctx context.Context, env epuEnv, res epuResult, err error) (epuResult, error) {
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	res.Err = err.Error()
	fmt.Fprintf(env.progress, "  FAILED: %v\n", err)
	return res, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// runEPUChild runs an epu child and decodes the stats it prints.
func runEPUChild(cmd *exec.Cmd) (epuChildStats, runResult, error) {
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	rr, err := runWatched(cmd, 0)
	if err != nil {
		return epuChildStats{}, rr, fmt.Errorf("%w%s", err, tail(errOut.String(), 15))
	}
	var st epuChildStats
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		return st, rr, fmt.Errorf("child printed no stats: %w%s", err, tail(errOut.String(), 15))
	}
	return st, rr, nil
}

// writeProvisionerConfig writes the provisioner's configuration for n
// workers of one deployable type on the fake driver with zero latency.
func writeProvisionerConfig(dir string, n int) (path, stateDir string, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", err
	}
	secret := make([]byte, epuSecretBytes)
	if _, err := rand.Read(secret); err != nil {
		return "", "", err
	}
	stateDir = filepath.Join(dir, "state")
	cfg := map[string]any{
		"service": "provisioner", "run_id": "bench.1", "run_secret": hex.EncodeToString(secret),
		"state_dir": stateDir, "listen": "127.0.0.1:0",
		"deployable_types": map[string]any{epuWorkerType: map[string]any{
			"iaas": "fake", "image": "bench-image", "allocation": "bench.small",
			"options": map[string]string{"fake_launch_delay": "0", "fake_running_delay": "0", "fake_terminate_delay": "0"},
		}},
		"max_nodes": n, "query_period": epuQueryPeriod.String(),
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return "", "", err
	}
	path = filepath.Join(dir, "provisioner.json")
	return path, stateDir, os.WriteFile(path, b, 0o600)
}

func msDur(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }

// writeEPU renders the epu suite's section of the report.
func writeEPU(b *strings.Builder, rs []epuResult) {
	b.WriteString("\n### EPU provisioner (fake driver in memory, zero latency, dry-run contextualization)\n\n")
	fmt.Fprintf(b, "The provisioner as a daemon in a child process, driven over its API (one launch of one worker per request, 16 at once; health and terminate_all polled every %s; query period %s). The floor, another child: the same launches, Describe and Terminate batches through the fake driver's wrappers and one SQLite row per state change, no API, no engine.\n\n", epuPoll, epuQueryPeriod)
	b.WriteString("| workers | measure | provisioner | floor | ratio | target | met |\n|---:|---|---:|---:|---:|---|---|\n")
	for _, r := range rs {
		if r.Err != "" {
			fmt.Fprintf(b, "| %d | failed | | | | | %s |\n", r.Workers, firstLine(r.Err))
			if r.MaxRSS > 0 {
				fmt.Fprintf(b, "| %d | peak RSS until then | %s | %s | | | |\n", r.Workers, mib(r.MaxRSS), mib(r.FloorRSS))
			}
			continue
		}
		goal := r.Workers == epuGoalAt
		target := func(s string) string {
			if !goal {
				return "—"
			}
			return s
		}
		met := func(ok bool) string {
			if !goal {
				return ""
			}
			return yesNo(ok)
		}
		fmt.Fprintf(b, "| %d | to RUNNING | %s | %s | %.2f | %s | %s |\n", r.Workers, secs(r.Up), secs(r.FloorUp), r.upRatio(), target(fmt.Sprintf("≤ %.0f×", epuMaxRatio)), met(r.upRatio() <= epuMaxRatio))
		fmt.Fprintf(b, "| %d | terminate_all to none | %s | %s | %.2f | %s | %s |\n", r.Workers, secs(r.Down), secs(r.FloorDown), r.downRatio(), target(fmt.Sprintf("≤ %.0f×", epuMaxRatio)), met(r.downRatio() <= epuMaxRatio))
		fmt.Fprintf(b, "| %d | peak RSS | %s | %s | | %s | %s |\n", r.Workers, mib(r.MaxRSS), mib(r.FloorRSS), target(fmt.Sprintf("≤ %d MiB", epuMaxRSS>>20)), met(r.MaxRSS <= epuMaxRSS))
	}
}

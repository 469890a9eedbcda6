package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/store"
)

// runName is the run every "child boot" records.
const runName = "bench"

// cloudinitdFanout returns the cloudinitd contender of the SSH fan-out: a
// generated plan of one level with a `hostname: 127.66.0.x` service
// (iaas_launch false) per host, ssh_username, ssh_port, localsshkeypath,
// bootpgm and readypgm set, booted by this binary re-executed as
// "child boot" (plan.Load, store.Create, bootlevel.Record, Engine.Boot with
// the SSH connector), the way `cloudinitd boot` does.
func cloudinitdFanout(self string) func(*Hosts, Programs, string) (contender, error) {
	return func(h *Hosts, progs Programs, dir string) (contender, error) {
		base := filepath.Join(dir, "cloudinitd")
		spec := planSpec{Defaults: map[string]string{
			"ssh_username":    h.User,
			"ssh_port":        strconv.Itoa(h.Port),
			"localsshkeypath": h.KeyPath,
			"bootpgm":         progs.Boot,
			"readypgm":        progs.Ready,
		}}
		var names []string
		var level []map[string]string
		for i, addr := range h.Addrs {
			names = append(names, fmt.Sprintf("h%03d", i+1))
			level = append(level, map[string]string{"hostname": addr, "iaas_launch": "false"})
		}
		spec.Names, spec.Levels = [][]string{names}, [][]map[string]string{level}
		top, err := writePlan(filepath.Join(base, "plan"), spec)
		if err != nil {
			return contender{}, err
		}
		work := filepath.Join(base, "work")
		if err := h.login.own(work); err != nil {
			return contender{}, err
		}
		stages := make([]string, len(names))
		for i, n := range names {
			stages[i] = remote.StageDir(work, n)
		}
		db := filepath.Join(base, "record")
		var last []stepStat // steps of the last run; runs are sequential
		return contender{
			name:      "cloudinitd",
			stageDirs: stages,
			prepare:   func() error { return os.RemoveAll(db) },
			run: func(ctx context.Context) error {
				st, _, err := runBootChild(command(ctx, self, "child", "boot",
					"-plan", top, "-db", db, "-workdir", work, "-connector", "ssh"), 0)
				last = st.Steps
				return err
			},
			detail: func() string {
				if len(last) == 0 {
					return ""
				}
				return "cloudinitd steps, median/max over services (last run): " + formatSteps(last)
			},
		}, nil
	}
}

// scaleEnv is what the scale suite needs.
type scaleEnv struct {
	self, work string
	levels     int
	reps       int           // boots a size, the one of median wall reported
	maxRSS     int64         // the child is killed above this resident set
	timeout    time.Duration // ...or after this long
	progress   io.Writer
}

// cloudinitdCLI returns the contender that boots the same generated plan
// with the real program: `cloudinitd boot PLAN -n bench -d DB -f LOGS -q`,
// built once from ./cmd/cloudinitd of this module.
func cloudinitdCLI(bin string) func(*Hosts, Programs, string) (contender, error) {
	return func(h *Hosts, progs Programs, dir string) (contender, error) {
		c, err := cloudinitdFanout("")(h, progs, dir) // the same plan and stage dirs
		if err != nil {
			return c, err
		}
		base := filepath.Join(dir, "cloudinitd")
		top, work := filepath.Join(base, "plan", "top.conf"), filepath.Join(base, "work")
		db := filepath.Join(base, "cli-record")
		c.name, c.detail = "cloudinitd-cli", nil
		c.prepare = func() error { return os.RemoveAll(db) }
		c.run = func(ctx context.Context) error {
			cmd := command(ctx, bin, "boot", top, "-n", runName, "-d", db, "-f", filepath.Join(db, "logs"), "-q")
			cmd.Env = append(os.Environ(), remote.WorkDirEnv+"="+work)
			_, err := runTimed(cmd)
			return err
		}
		return c, nil
	}
}

// buildCLI builds ./cmd/cloudinitd of the module the harness runs in, and
// beside it ./cmd/cloudinitd-instance, the local driver's instance server,
// where `go install ./cmd/...` installs them, the way the release
// (scripts/dist.sh) builds them: static (CGO_ENABLED=0), -trimpath, no
// symbol table. A plain `go build` links with cgo where a C compiler is
// installed, so the figures would depend on the machine's packages
// (docs/performance.md, method 5 and local5).
func buildCLI(ctx context.Context, work string) (string, error) {
	gomod, err := command(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	bin := filepath.Join(work, "cloudinitd")
	cmd := command(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", work+string(filepath.Separator),
		"./cmd/cloudinitd", "./cmd/cloudinitd-instance")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build cloudinitd: %w%s", err, tail(string(out), 10))
	}
	return bin, nil
}

// runScale boots n services over env.levels levels on the fake driver in
// memory, zero latency, with the dry-run connector, in a child process, and
// reads the child's wall time, peak RSS and record size.
func runScale(ctx context.Context, env scaleEnv, n int) (scaleResult, error) {
	levels, progress := env.levels, env.progress
	res := scaleResult{Services: n, Levels: levels}
	dir := filepath.Join(env.work, fmt.Sprintf("scale-%d", n))
	progs, err := writePrograms(filepath.Join(dir, "programs"))
	if err != nil {
		return res, err
	}
	spec := planSpec{Defaults: map[string]string{
		"iaas":               "fake",
		"image":              "bench-image",
		"fake_launch_delay":  "0",
		"fake_running_delay": "0",
		"bootpgm":            progs.Boot,
		"readypgm":           progs.Ready,
	}}
	for l := range levels {
		var names []string
		var svcs []map[string]string
		for i := l * n / levels; i < (l+1)*n/levels; i++ {
			names = append(names, fmt.Sprintf("s%05d", i))
			svcs = append(svcs, map[string]string{"allocation": "bench.small"})
		}
		spec.Names = append(spec.Names, names)
		spec.Levels = append(spec.Levels, svcs)
	}
	top, err := writePlan(filepath.Join(dir, "plan"), spec)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(progress, "scale: %d services over %d levels\n", n, levels)
	// env.reps boots of the same plan, each into a record of its own; the
	// run of median wall is reported, with every run's wall and the
	// largest peak RSS of them.
	var boots []scaleBoot
	for rep := 1; rep <= max(env.reps, 1); rep++ {
		db := filepath.Join(dir, fmt.Sprintf("record-%d", rep))
		cctx, cancel := context.WithTimeout(ctx, env.timeout)
		cmd := command(cctx, env.self, "child", "boot", "-plan", top, "-db", db, "-connector", "dryrun")
		cmd.Env = append(os.Environ(), "CLOUDINITD_FAKE_MEMORY=true")
		stats, rr, err := runBootChild(cmd, env.maxRSS)
		timedOut := cctx.Err() != nil
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			if timedOut {
				err = fmt.Errorf("killed after %s (-scale-timeout): %w", env.timeout, err)
			}
			res.Err = err.Error()
			res.Wall, res.MaxRSS = rr.Wall, rr.MaxRSS
			fmt.Fprintf(progress, "  FAILED after %.2fs at peak RSS %s: %v\n", rr.Wall.Seconds(), mib(rr.MaxRSS), err)
			return res, nil
		}
		b := scaleBoot{stats: stats, run: rr, recordBytes: fileSize(store.Path(db, runName)) + fileSize(store.Path(db, runName)+"-wal")}
		boots = append(boots, b)
		fmt.Fprintf(progress, "  run %d: %.2fs (load %.2fs, record %.2fs, boot %.2fs of which to level 1 %.2fs; %.2f CPU-s), peak RSS %s, record %s\n",
			rep, rr.Wall.Seconds(), stats.LoadMS/1000, stats.RecordMS/1000, stats.BootMS/1000, stats.firstLevelMS()/1000,
			rr.CPU.Seconds(), mib(rr.MaxRSS), mib(b.recordBytes))
	}
	res.fromBoots(boots)
	if n == scaleStatusAt {
		// The fake driver in memory lives in the booting process: status
		// and terminate run in a second child after its own boot, so the
		// first child's peak RSS is the boot's alone.
		cctx, cancel := context.WithTimeout(ctx, env.timeout)
		defer cancel()
		cmd := command(cctx, env.self, "child", "boot", "-plan", top, "-db", filepath.Join(dir, "record-then"), "-connector", "dryrun", "-then", "status,terminate")
		cmd.Env = append(os.Environ(), "CLOUDINITD_FAKE_MEMORY=true")
		st, _, err := runBootChild(cmd, env.maxRSS)
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			res.Err = fmt.Sprintf("status and terminate: %v", err)
			fmt.Fprintf(progress, "  status/terminate FAILED: %v\n", err)
			return res, nil
		}
		res.Status = time.Duration(st.StatusMS * float64(time.Millisecond))
		res.Terminate = time.Duration(st.TerminateMS * float64(time.Millisecond))
	}
	fmt.Fprintf(progress, "  median %.2fs of %d, peak RSS %s\n", res.Wall.Seconds(), len(res.Walls), mib(res.MaxRSS))
	if res.Status > 0 {
		fmt.Fprintf(progress, "  then status %.2fs, terminate %.2fs\n", res.Status.Seconds(), res.Terminate.Seconds())
	}
	return res, nil
}

// runBootChild runs a "child boot" and decodes the stats it prints.
// The child is killed above maxRSS bytes (0: no cap).
func runBootChild(cmd *exec.Cmd, maxRSS int64) (bootStats, runResult, error) {
	var out bytes.Buffer
	cmd.Stdout = &out
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	rr, err := runWatched(cmd, maxRSS)
	if err != nil {
		return bootStats{}, rr, fmt.Errorf("%w%s", err, tail(errOut.String(), 15))
	}
	var st bootStats
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		return st, rr, fmt.Errorf("child boot printed no stats: %w", err)
	}
	return st, rr, nil
}

// fileSize is the size of path, 0 when it does not exist.
func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

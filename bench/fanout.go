package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"time"
)

// contender is one way of doing the SSH fan-out, measured on the same hosts
// as the others.
type contender struct {
	name      string
	needs     []string     // executables that must be on PATH
	stageDirs []string     // where each host's boot marker must appear; nil: none
	prepare   func() error // untimed, before every run; may be nil
	run       func(ctx context.Context) error
	detail    func() string // what the last run says about itself; may be nil
}

// fanoutResult is one contender at one N.
type fanoutResult struct {
	Login     string // the account the contenders logged in as
	N         int
	Contender string
	Walls     []time.Duration // timed repetitions, warm-ups excluded
	CPUs      []time.Duration // busy CPU time of the whole machine in each of them
	RunCPUs   []time.Duration // CPU time of the run's own processes in each of them (runCPU)
	Skipped   string          // why it did not run, when it did not
	Err       string          // the first failure; a failed contender stops
	Detail    string          // the contender's own account of its last run
}

// Median of the timed repetitions; 0 when there are none.
func (r fanoutResult) Median() time.Duration { return median(r.Walls) }

// MedianCPU is the median busy CPU time of the timed repetitions.
func (r fanoutResult) MedianCPU() time.Duration { return median(r.CPUs) }

// MedianRunCPU is the median CPU time of the run's own processes.
func (r fanoutResult) MedianRunCPU() time.Duration { return median(r.RunCPUs) }

// fanoutEnv is what the SSH suite needs besides the hosts.
type fanoutEnv struct {
	work       string // the bench's temporary directory
	self       string // this executable, for child modes
	contenders []string
	reps       int
	warmup     int
	port       int
	runTimeout time.Duration
	progress   io.Writer
	cloudinitd func(h *Hosts, progs Programs, work string) (contender, error) // nil: not available
	cli        func(h *Hosts, progs Programs, work string) (contender, error) // nil: not built

	login login // the account the contenders log in as
}

// hostsContender names the result of an N whose hosts could not start.
const hostsContender = "hosts"

// runFanout starts n sshd hosts, measures every contender on them (the
// contenders interleaved within each repetition, so drift hits all alike)
// and stops the hosts and every stray process before returning.
func runFanout(ctx context.Context, env fanoutEnv, n int) (_ []fanoutResult, err error) {
	// Short: parallel-ssh's ssh ControlPath (a socket, at most 107 bytes)
	// lives under it.
	dir := filepath.Join(env.work, fmt.Sprintf("f%d-%d", n, env.login.UID))
	fmt.Fprintf(env.progress, "ssh fan-out N=%d as %s: starting %d sshd hosts\n", n, env.login.Name, n)
	h, err := startHosts(ctx, filepath.Join(dir, "hosts"), n, env.port, env.login)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// Where the machine cannot hold n hosts, the report says so.
		fmt.Fprintf(env.progress, "  N=%d: the machine does not hold %d sshd hosts: %v\n", n, n, err)
		return []fanoutResult{{Login: env.login.Name, N: n, Contender: hostsContender, Err: err.Error()}}, nil
	}
	defer func() {
		err = errors.Join(err, h.Stop(), reapStrays(nil))
	}()
	progs, err := writePrograms(filepath.Join(dir, "programs"))
	if err != nil {
		return nil, err
	}
	var cs []contender
	var results []fanoutResult
	for _, name := range env.contenders {
		c, skip, err := makeContender(name, env, h, progs, dir)
		if err != nil {
			return nil, fmt.Errorf("N=%d: %s: %w", n, name, err)
		}
		results = append(results, fanoutResult{Login: env.login.Name, N: n, Contender: name, Skipped: skip})
		cs = append(cs, c)
	}
	for rep := -env.warmup; rep < env.reps; rep++ {
		for i, c := range cs {
			r := &results[i]
			if r.Skipped != "" || r.Err != "" {
				continue
			}
			m, err := runOnce(ctx, env, c, h)
			label := fmt.Sprintf("rep %d/%d", rep+1, env.reps)
			if rep < 0 {
				label = "warm-up"
			}
			if err != nil {
				if ctx.Err() != nil {
					return results, ctx.Err()
				}
				r.Err = err.Error()
				fmt.Fprintf(env.progress, "  N=%d %-14s %s: FAILED: %v\n", n, c.name, label, err)
				continue
			}
			fmt.Fprintf(env.progress, "  N=%d %-14s %s: %.2fs (machine %.2f CPU-s, run %.2f CPU-s)\n",
				n, c.name, label, m.wall.Seconds(), m.cpu.Seconds(), m.runCPU.Seconds())
			if rep >= 0 {
				r.Walls = append(r.Walls, m.wall)
				r.CPUs = append(r.CPUs, m.cpu)
				r.RunCPUs = append(r.RunCPUs, m.runCPU)
			}
			if c.detail != nil {
				r.Detail = c.detail()
			}
		}
	}
	return results, nil
}

// makeContender builds the named contender; skip says why it cannot run.
func makeContender(name string, env fanoutEnv, h *Hosts, progs Programs, dir string) (contender, string, error) {
	var c contender
	switch name {
	case "floor":
		c = floorContender(h, env.self)
	case "samework":
		c = sameworkContender(h, progs, env.self)
	case "parallel-ssh":
		c = psshContender(h, progs, dir)
	case "ansible":
		c = ansibleContender(h, progs, dir)
	case "cloudinitd":
		if env.cloudinitd == nil {
			return contender{name: name}, "engine not available yet", nil
		}
		var err error
		if c, err = env.cloudinitd(h, progs, dir); err != nil {
			return contender{}, "", err
		}
	case "cloudinitd-cli":
		if env.cli == nil {
			return contender{name: name}, "cloudinitd program not built", nil
		}
		var err error
		if c, err = env.cli(h, progs, dir); err != nil {
			return contender{}, "", err
		}
	default:
		return contender{}, "", fmt.Errorf("unknown contender (want floor, samework, parallel-ssh, ansible, cloudinitd or cloudinitd-cli)")
	}
	for _, exe := range c.needs {
		if _, err := exec.LookPath(exe); err != nil {
			return c, exe + " not installed", nil
		}
	}
	return c, "", nil
}

// measure is one timed run of a contender.
type measure struct {
	wall   time.Duration
	cpu    time.Duration // the machine's busy CPU time meanwhile (busyCPU)
	runCPU time.Duration // the run's own processes (runCPU)
}

// runOnce clears the contender's stage directories, prepares it, times one
// run, checks every host's boot marker and ends the processes the run left
// behind (ControlPersist masters), so the next run starts cold. Besides the
// wall time it returns the CPU time the whole machine was busy meanwhile
// (the contender, the sshd processes and the programs they ran, and
// whatever else ran then) and the CPU time of the run's own processes
// alone, read once every connection of the run has ended.
func runOnce(ctx context.Context, env fanoutEnv, c contender, h *Hosts) (m measure, err error) {
	if err := removeAll(c.stageDirs); err != nil {
		return m, fmt.Errorf("clear stage: %w", err)
	}
	if c.prepare != nil {
		if err := c.prepare(); err != nil {
			return m, fmt.Errorf("prepare: %w", err)
		}
	}
	rctx, cancel := context.WithTimeout(ctx, env.runTimeout)
	defer cancel()
	listeners := h.PIDs()
	if !waitConnections(listeners, 10*time.Second) {
		return m, errors.New("connections of the previous run still open after 10s")
	}
	run0 := runCPU(listeners)
	busy0 := busyCPU()
	start := time.Now()
	err = c.run(rctx)
	m.wall = time.Since(start)
	m.cpu = busyCPU() - busy0
	err = errors.Join(err, reapStrays(listeners))
	if !waitConnections(listeners, 10*time.Second) {
		err = errors.Join(err, errors.New("connections still open 10s after the run"))
	}
	m.runCPU = runCPU(listeners) - run0
	if err != nil {
		return m, err
	}
	return m, checkMarkers(c.stageDirs)
}

// median of ds (the mean of the middle two for an even count); 0 for none.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

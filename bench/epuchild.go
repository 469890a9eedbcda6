package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/eventlog"
	"github.com/cloudinitd/cloudinitd/epu/provisioner"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// epuChildStats is what the epu children print on stdout, one JSON object.
type epuChildStats struct {
	UpMS, DownMS float64 // the floor's phases (the provisioner's are timed by the harness)
	Rows         int     // SQLite rows the floor wrote
	Launched     int     // instances the driver holds for the run, terminated ones included
	Live         int     // of which not terminated
	VmHWM        int64   // bytes, from /proc/self/status at the end
}

// benchWorkerDriver is the fake driver in memory every epu child uses, and
// a registry whose "fake" entry opens clones of it (one cloud), so the
// child can count the run's instances through the driver at the end.
func benchWorkerDriver() (*fake.Driver, *iaas.Registry, error) {
	shared, err := fake.New(fake.Options{Memory: true})
	if err != nil {
		return nil, nil, err
	}
	reg := iaas.NewRegistry()
	reg.Register(iaas.Entry{Name: fake.Name, Factory: func(iaas.Config) (iaas.Driver, error) { return shared.Clone(), nil }})
	return shared, reg, nil
}

// countRun fills s.Launched and s.Live from the driver's instances of run.
func countRun(ctx context.Context, d *fake.Driver, run iaas.RunID, s *epuChildStats) error {
	insts, err := d.FindByRun(ctx, run)
	if err != nil {
		return fmt.Errorf("find the run's instances: %w", err)
	}
	s.Launched = len(insts)
	for _, i := range insts {
		if i.State != iaas.StateTerminated {
			s.Live++
		}
	}
	return nil
}

// epuProvisionerMain is the child "epu-provisioner -config FILE": the
// provisioner daemon on the fake driver in memory with the dry-run
// contextualizer, serving its API until its stdin closes; then it prints
// the driver's count of the run's instances and its peak RSS.
func epuProvisionerMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("epu-provisioner", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "provisioner configuration file")
	logPath := fs.String("log", "", "event log file")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the provisioner here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	cfg, err := provisioner.LoadConfig(*config)
	if err != nil {
		return err
	}
	shared, reg, err := benchWorkerDriver()
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	logw := eventlog.New(logf, eventlog.DefaultPeriod) // as the daemon writes its events
	defer logw.Close()
	p, err := provisioner.New(cfg, provisioner.Deps{
		Registry: reg, Contextualizer: provisioner.DryRunContextualizer{},
		Logger: slog.New(slog.NewJSONHandler(logw, nil)),
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		p.Close()
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the harness closes our stdin to stop us
		defer wg.Done()
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	runErr := p.Run(ctx, ln)
	_ = os.Stdin.Close() // unblocks the reader when Run ended by itself
	wg.Wait()
	var st epuChildStats
	err = countRun(context.Background(), shared, cfg.Run, &st)
	st.VmHWM = procStatusBytes(0, "VmHWM:")
	if err := errors.Join(runErr, err); err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(st)
}

// epuFloorMain is the child "epu-floor": the least a provisioner can do
// for n workers. The same launches (one per worker, as many at once as the
// provisioner's launch_concurrency), the same Describe and Terminate
// batches, straight through the registry's wrappers of the fake driver in
// memory, and one SQLite row written per state change (REQUESTED,
// PENDING, STARTED, RUNNING; TERMINATING, TERMINATED) in a store opened
// as the provisioner opens its own. No API, no engine, no records read
// back.
func epuFloorMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("epu-floor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 10000, "workers")
	dir := fs.String("dir", "", "directory of the SQLite file")
	concurrency := fs.Int("concurrency", provisioner.DefaultLaunchConcurrency, "launch calls in flight")
	if err := fs.Parse(args); err != nil {
		return err
	}
	shared, reg, err := benchWorkerDriver()
	if err != nil {
		return err
	}
	bare, err := reg.Open(fake.Name, iaas.Config{})
	if err != nil {
		return err
	}
	drv := reg.Wrap(bare, iaas.Config{})
	db, err := openFloorDB(ctx, *dir)
	if err != nil {
		return err
	}
	defer db.Close()
	run := iaas.RunID{Name: "bench", Incarnation: "1"}
	var st epuChildStats
	row := func(node string, s epu.State) error {
		st.Rows++
		_, err := db.ExecContext(ctx, `INSERT INTO transitions(node_id, state, time) VALUES (?, ?, ?)`, node, string(s), time.Now().UTC().Format(time.RFC3339Nano))
		return err
	}
	refs := make([]iaas.Ref, *n)
	ids := make([]string, *n)
	var mu sync.Mutex // row counts and SQLite's one connection serialize anyway
	t0 := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(*concurrency)
	for i := range *n {
		ids[i] = fmt.Sprintf("n-%05d", i)
		g.Go(func() error {
			mu.Lock()
			err := row(ids[i], epu.Requested)
			mu.Unlock()
			if err != nil {
				return err
			}
			inst, err := drv.Launch(gctx, iaas.LaunchSpec{
				Run: run, Service: ids[i], Attempt: 1, Owner: "provisioner", ClientToken: "floor-" + ids[i],
				Image: "bench-image", Allocation: "bench.small",
				Options: map[string]string{"fake_launch_delay": "0", "fake_running_delay": "0", "fake_terminate_delay": "0"},
				Tags:    map[string]string{"launch_id": "l-" + ids[i], "node_id": ids[i], "deployable_type": "worker"},
			})
			if err != nil {
				return err
			}
			refs[i] = iaas.Ref{ID: inst.ID, Handle: inst.Handle}
			mu.Lock()
			defer mu.Unlock()
			return row(ids[i], epu.Pending)
		})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("launch: %w", err)
	}
	for c, chunk := range iaas.Chunk(refs, 1000) {
		insts, err := drv.Describe(ctx, chunk...)
		if err != nil {
			return fmt.Errorf("describe: %w", err)
		}
		for k, inst := range insts {
			if inst.State != iaas.StateRunning {
				return fmt.Errorf("instance %s is %v, not running", inst.ID, inst.State)
			}
			for _, s := range []epu.State{epu.Started, epu.Running} {
				if err := row(ids[c*1000+k], s); err != nil {
					return err
				}
			}
		}
	}
	st.UpMS = ms(time.Since(t0))
	t1 := time.Now()
	for _, id := range ids {
		if err := row(id, epu.Terminating); err != nil {
			return err
		}
	}
	for c, chunk := range iaas.Chunk(refs, 500) {
		if err := drv.Terminate(ctx, chunk...); err != nil {
			return fmt.Errorf("terminate: %w", err)
		}
		for k := range chunk {
			if err := row(ids[c*500+k], epu.Terminated); err != nil {
				return err
			}
		}
	}
	st.DownMS = ms(time.Since(t1))
	if err := countRun(ctx, shared, run, &st); err != nil {
		return err
	}
	st.VmHWM = procStatusBytes(0, "VmHWM:")
	return json.NewEncoder(stdout).Encode(st)
}

// openFloorDB opens dir/floor.db as the provisioner opens its store: WAL,
// synchronous NORMAL, one connection.
func openFloorDB(ctx context.Context, dir string) (*sql.DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: filepath.Join(dir, "floor.db"), RawQuery: q.Encode()}).String())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE transitions(node_id TEXT NOT NULL, state TEXT NOT NULL, time TEXT NOT NULL)`); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"sync"
	"syscall"
	"time"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/store"
)

// bootStats is what "child boot" prints on stdout, one JSON object.
type bootStats struct {
	LoadMS, RecordMS, BootMS float64
	// The process's CPU time (user and system, getrusage) of each phase:
	// steadier than the wall times on a shared machine.
	LoadCPUMS, RecordCPUMS, BootCPUMS float64
	// With -then: each later command on the booted record, by a new
	// Engine (which reads the record again, as a new process would).
	StatusMS, TerminateMS float64
	Services              int
	VmHWM                 int64 // bytes, from /proc/self/status at the end
	Steps                 []stepStat
	// LevelsMS are the times of the boot's level events (level-start 1
	// ... level-done N), in ms from the start of the boot, and the
	// process's CPU time by then: level-start 1 is when the image was
	// read and the pre-launch done.
	LevelsMS []levelMark
}

// firstLevelMS is when level 1 started, in ms from the start of the boot
// (reading the record's image and the pre-launch came before); 0 when no
// level started.
func (st bootStats) firstLevelMS() float64 {
	for _, m := range st.LevelsMS {
		if m.Kind == bootlevel.KindLevelStart {
			return m.MS
		}
	}
	return 0
}

// levelMark is one level event of the boot and when it came.
type levelMark struct {
	Kind      string
	Level     int
	MS, CPUMS float64
}

// childEngine runs the engine modes: "boot" loads a plan, records it in a
// new SQLite record and boots it with bootlevel.Engine, as `cloudinitd boot`
// does, with the fake driver in memory.
func childEngine(ctx context.Context, mode string, args []string, stdout, stderr io.Writer) error {
	if mode != "boot" {
		return fmt.Errorf("unknown child mode %q", mode)
	}
	fs := flag.NewFlagSet("boot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	top := fs.String("plan", "", "top file of the plan")
	dbDir := fs.String("db", "", "record directory")
	run := fs.String("run", "bench", "run name")
	conn := fs.String("connector", "ssh", "ssh (real hosts, local_exe locally) or dryrun (no-op executor)")
	prelaunch := fs.Bool("prelaunch", true, "launch every level's instances before level 1")
	parallel := fs.Int("parallel", 0, "services of a level at once (0: all)")
	workDir := fs.String("workdir", "", "REMOTE_WORKING_DIR_ENV for the stage directories")
	then := fs.String("then", "", "commands to run after the boot, each on a new Engine: status, terminate (in that order)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole child here")
	memProfile := fs.String("memprofile", "", "write a heap profile here at the end of the boot (allocations since start, and what is live)")
	memRate := fs.Int("memprofilerate", 0, "runtime.MemProfileRate for -memprofile (0: Go's default, one sample per 512 KiB)")
	traceFile := fs.String("trace", "", "write an execution trace of the whole child here (go tool trace): when the goroutines ran, waited and why")
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
	if *traceFile != "" {
		f, err := os.Create(*traceFile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return err
		}
		defer trace.Stop()
	}
	if *memProfile != "" && *memRate > 0 {
		runtime.MemProfileRate = *memRate
	}
	env := map[string]string{}
	if *workDir != "" {
		env[remote.WorkDirEnv] = *workDir
	}
	lookup := func(k string) (string, bool) {
		if v, ok := env[k]; ok {
			return v, true
		}
		return os.LookupEnv(k)
	}
	var st bootStats
	// The CPU profile's samples of each phase carry the label
	// phase=load, record or boot (go tool pprof -tagfocus phase=boot),
	// as do those of the goroutines the phase starts; the garbage
	// collector's work is not labelled. (Labels set in turn, not
	// pprof.Do: a closure would keep the plan alive during Record.)
	// The execution trace (-trace) marks where each phase begins.
	phase := func(name string) {
		pprof.SetGoroutineLabels(pprof.WithLabels(ctx, pprof.Labels("phase", name)))
		trace.Log(ctx, "phase", name)
	}
	t0, c0 := time.Now(), selfCPU()
	phase("load")
	// Like `cloudinitd boot`, the record is made while the plan loads; a
	// plan that does not load removes it.
	made := make(chan error, 1)
	var db *store.DB
	go func() {
		var err error
		db, err = store.Create(ctx, *dbDir, *run, store.Run{TopConf: *top, ToolVersion: "bench"})
		made <- err
	}()
	p, err := plan.Load(ctx, *top, plan.Options{LookupEnv: lookup})
	t1, c1 := time.Now(), selfCPU()
	cerr := <-made
	if err != nil {
		if cerr == nil {
			err = errors.Join(err, db.Delete())
		}
		return fmt.Errorf("load plan: %w", err)
	}
	if cerr != nil {
		return fmt.Errorf("create record: %w", cerr)
	}
	defer db.Close()
	for _, l := range p.Levels {
		st.Services += len(l.Services)
	}
	// Like `cloudinitd boot`, neither the writing of the record nor the
	// boot keeps the loaded plan alive (p is not used past Record).
	phase("record")
	rec, err := bootlevel.RecordImage(ctx, db, p)
	if err != nil {
		return fmt.Errorf("record plan: %w", err)
	}
	t2, c2 := time.Now(), selfCPU()
	driver, err := fake.New(fake.Options{Memory: true, LookupEnv: lookup})
	if err != nil {
		return err
	}
	var c bootlevel.Connector = bootlevel.DryRunConnector{}
	if *conn == "ssh" {
		c = bootlevel.NewSSHConnector(db, remote.SSHOptions{Getenv: func(k string) string { v, _ := lookup(k); return v }})
	}
	steps := newStepTimer()
	levels := &levelTimer{ctx: ctx, start: time.Now()}
	e := &bootlevel.Engine{
		Observer:  bootlevel.MultiObserver{steps, levels},
		DB:        db,
		Drivers:   func(iaas.Selector) (iaas.Driver, error) { return driver, nil },
		Connector: c,
		Parallel:  *parallel,
		LookupEnv: lookup,
	}
	phase("boot")
	levels.start, levels.cpu0 = time.Now(), selfCPU()
	err = e.Boot(ctx, bootlevel.BootOptions{Prelaunch: *prelaunch, Recorded: rec})
	t3, c3 := time.Now(), selfCPU()
	pprof.SetGoroutineLabels(ctx)
	if err != nil {
		return errors.Join(fmt.Errorf("boot: %w", err), c.Close())
	}
	st.VmHWM = procStatusBytes(0, "VmHWM:") // the boot's peak, before any -then command
	if *memProfile != "" {
		if err := writeHeapProfile(*memProfile); err != nil {
			return errors.Join(err, c.Close())
		}
	}
	for _, cmd := range splitList(*then) {
		later := &bootlevel.Engine{DB: db, Drivers: e.Drivers, Connector: c, LookupEnv: lookup}
		t := time.Now()
		// The CPU profile's samples of each command carry the label
		// phase=<command> (go tool pprof -tagfocus phase=status).
		pprof.Do(ctx, pprof.Labels("phase", cmd), func(ctx context.Context) {
			switch cmd {
			case "status":
				err = later.Status(ctx)
				st.StatusMS = ms(time.Since(t))
			case "terminate":
				err = later.Terminate(ctx)
				st.TerminateMS = ms(time.Since(t))
			default:
				err = fmt.Errorf("-then: unknown command %q (want status, terminate)", cmd)
			}
		})
		if err != nil {
			return errors.Join(fmt.Errorf("%s: %w", cmd, err), c.Close())
		}
	}
	if err := c.Close(); err != nil {
		return fmt.Errorf("close connector: %w", err)
	}
	st.LoadMS = ms(t1.Sub(t0))
	st.RecordMS = ms(t2.Sub(t1))
	st.BootMS = ms(t3.Sub(t2))
	st.LoadCPUMS, st.RecordCPUMS, st.BootCPUMS = ms(c1-c0), ms(c2-c1), ms(c3-c2)
	st.Steps = steps.Stats()
	st.LevelsMS = levels.marks
	return json.NewEncoder(stdout).Encode(st)
}

// levelTimer keeps when each level event came, and marks it in the
// execution trace (-trace), so that its timeline can be cut by level.
type levelTimer struct {
	ctx   context.Context
	start time.Time
	cpu0  time.Duration // selfCPU at start
	mu    sync.Mutex
	marks []levelMark
}

// Event implements bootlevel.Observer.
func (t *levelTimer) Event(e bootlevel.Event) {
	if e.Service != "" || e.Level == 0 {
		return
	}
	if trace.IsEnabled() {
		trace.Log(t.ctx, "level", fmt.Sprintf("%s %d", e.Kind, e.Level))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.marks = append(t.marks, levelMark{Kind: e.Kind, Level: e.Level, MS: ms(e.Time.Sub(t.start)), CPUMS: ms(selfCPU() - t.cpu0)})
}

// writeHeapProfile writes the heap profile (allocations since the start
// and what is live now) to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	return errors.Join(pprof.Lookup("heap").WriteTo(f, 0), f.Close())
}

// selfCPU is the user and system time of this process so far (0 when
// getrusage fails).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

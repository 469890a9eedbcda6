package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/epu/mgmt"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/drivers"
	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/store"
)

// newManager wires a mgmt.Manager as cloudinitd wires its commands: the
// run log <dbdir>/<run>.log (where cloudinitd logs the run), drivers from
// the registry wrapped as their entries say, the SSH connector on the
// record (host keys checked against it), progress lines on stderr.
func newManager(env cl.Env, dbDir, runLogDir, run string) (*mgmt.Manager, func(), error) {
	dbDir = absDir(env.ExpandHome(dbDir))
	runLogDir = absDir(env.ExpandHome(runLogDir))
	if err := store.ValidateName(run); err != nil {
		return nil, nil, usagef("-n %q: %v", run, err)
	}
	closeFn := func() {}
	logger := slog.New(slog.NewTextHandler(discard{}, nil))
	// The run's log, where cloudinitd logs it, only for a run recorded:
	// a mistyped name leaves nothing behind.
	if _, err := os.Stat(store.Path(dbDir, run)); err == nil {
		if f, err := bootlevel.OpenLog(filepath.Join(dbDir, run+".log")); err == nil {
			logger = slog.New(slog.NewTextHandler(f, nil)).With("run", run, "program", progName)
			closeFn = func() { f.Close() }
		}
	}
	logger = slog.New(env.Secrets.Handler(logger.Handler()))
	open := driverOpener(env, logger)
	m := &mgmt.Manager{
		DBDir: dbDir, RunLogDir: runLogDir, Out: env.Streams.Out, Err: env.Streams.Err, Logger: logger,
		OpenDriver: open,
		NewEngine: func(db *store.DB) (*bootlevel.Engine, func(), error) {
			c := bootlevel.NewSSHConnector(db, remote.SSHOptions{
				Getenv: func(k string) string { v, _ := env.LookupEnv(k); return v },
				Logger: logger,
			})
			e := &bootlevel.Engine{
				DB: db,
				Drivers: func(sel iaas.Selector) (iaas.Driver, error) {
					return open(sel, iaas.Config{StateDir: dbDir, Logger: logger, LookupEnv: env.LookupEnv})
				},
				StateDir:  dbDir,
				Connector: c,
				Observer:  &cl.LineObserver{W: env.Streams.Err, Verbosity: 1, Sanitize: cl.IsTerminal(env.Streams.Err)},
				LogDir:    dbDir,
				LookupEnv: env.LookupEnv,
				Secrets:   env.Secrets,
				Logger:    logger,
			}
			return e, func() { c.Close() }, nil
		},
	}
	return m, closeFn, nil
}

// driverOpener opens drivers as cloudinitd does (iaas/drivers.Open: the
// registry's driver, wrapped as its entry says), one per registry name
// and state directory.
func driverOpener(env cl.Env, logger *slog.Logger) func(iaas.Selector, iaas.Config) (iaas.Driver, error) {
	reg := drivers.Registry()
	var mu sync.Mutex
	opened := map[[2]string]iaas.Driver{}
	return func(sel iaas.Selector, cfg iaas.Config) (iaas.Driver, error) {
		name, err := reg.Resolve(sel)
		if err != nil {
			return nil, err
		}
		if cfg.Logger == nil {
			cfg.Logger = logger
		}
		if cfg.LookupEnv == nil {
			cfg.LookupEnv = env.LookupEnv
		}
		mu.Lock()
		defer mu.Unlock()
		key := [2]string{name, cfg.StateDir}
		if d, ok := opened[key]; ok {
			return d, nil
		}
		d, err := drivers.Open(reg, sel, cfg)
		if err != nil {
			return nil, fmt.Errorf("open the %s driver: %w", name, err)
		}
		opened[key] = d
		return d, nil
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func absDir(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// version is the module version and VCS revision of this binary.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}

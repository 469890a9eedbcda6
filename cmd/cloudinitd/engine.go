package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/drivers"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/store"
)

// session is everything one command needs around an Engine: the driver
// cache, the log file and the progress renderer. close releases them all.
type session struct {
	engine  *bootlevel.Engine
	tracer  *cl.Tracer // nil without -s
	closers []func()
}

func (s *session) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}

// newSession builds an Engine on db with the command line's options.
func newSession(o options, env cl.Env, db *store.DB, dryRun bool) (*session, error) {
	s := &session{}
	logger, closeLog, err := runLogger(o, env, db.Name())
	if err != nil {
		return nil, err
	}
	logger = slog.New(env.Secrets.Handler(logger.Handler())) // drivers log through it too
	s.closers = append(s.closers, closeLog)
	tracer, closeTrace, err := runTracer(o, env, db.Name())
	if err != nil {
		s.close()
		return nil, err
	}
	s.closers = append(s.closers, closeTrace)
	s.tracer = tracer
	obs := observer(o, env)
	if st, ok := obs.(interface{ Stop() }); ok {
		s.closers = append(s.closers, st.Stop)
	}
	if env.Transcript.Enabled() {
		obs = bootlevel.MultiObserver{obs, &cl.LineObserver{W: env.Transcript, Verbosity: 3}}
	}
	e := &bootlevel.Engine{
		DB:        db,
		Drivers:   driverOpener(o, env, logger, tracer, dryRun),
		StateDir:  absDir(o.DBDir),
		Observer:  obs,
		Parallel:  o.Parallel,
		LookupEnv: env.LookupEnv,
		Globals:   commandGlobals(o),
		Secrets:   env.Secrets,
		Logger:    logger,
	}
	if o.LogDir != "-" {
		e.LogDir = o.LogDir
	}

	if dryRun {
		e.Connector = bootlevel.DryRunConnector{}
	} else {
		c := bootlevel.NewSSHConnector(db, remote.SSHOptions{
			Getenv: func(k string) string { v, _ := env.LookupEnv(k); return v },
			Logger: logger,
		})
		e.Connector = c
		s.closers = append(s.closers, func() { c.Close() })
		if tracer != nil {
			// Not in a dry run: the engine recognises its connector.
			e.Connector = cl.TraceConnector(c, tracer)
		}
	}
	s.engine = e
	return s, nil
}

// withEngine runs f on an engine built on db. The session (run log,
// progress view, SSH connections) is released before withEngine returns,
// so whatever is printed next is not mixed with a live view.
// what names the command for the -s trace.
func withEngine(o options, env cl.Env, db *store.DB, dryRun bool, what string, f func(*bootlevel.Engine) error) error {
	s, err := newSession(o, env, db, dryRun)
	if err != nil {
		return err
	}
	defer s.close()
	if s.tracer == nil {
		return f(s.engine)
	}
	exit := s.tracer.Enter("engine " + what + " run=" + db.Name())
	err = f(s.engine)
	exit(err)
	return err
}

// observer picks how progress is shown: NDJSON with --json, a live view
// on a terminal that moves its cursor, one line per transition otherwise
// or with -v (the line stream; with -vv every step, -vvv every line of
// output), where a service silent for cl.SilencePeriod gets a progress
// line; nothing with -q. While the live view is up, what the signal
// handler says is printed above it (cl.Signals.Notes).
func observer(o options, env cl.Env) bootlevel.Observer {
	switch {
	case o.JSON && env.Events != nil:
		return env.Events
	case o.JSON:
		return &cl.JSONObserver{W: env.Streams.Out} // a command called without Main
	case o.Verbosity == 0:
		return bootlevel.NopObserver{}
	case o.Verbosity == 1 && cl.LiveCapable(env.Streams.Err, env.LookupEnv):
		l := cl.NewLiveObserver(env.Streams.Err, cl.Colour(env.Streams.Err, env.LookupEnv))
		release := env.Signals.Notes(func(text string) {
			l.Note(text)
			env.Transcript.Write([]byte(text))
		})
		return stopping{l, func() { release(); l.Stop() }}
	default:
		l := &cl.LineObserver{W: env.Streams.Err, Verbosity: o.Verbosity, Sanitize: cl.IsTerminal(env.Streams.Err),
			Colour: cl.Colour(env.Streams.Err, env.LookupEnv)}
		return stopping{l, l.WatchSilence(cl.SilencePeriod)}
	}
}

// stopping is an observer with what stops it (the session calls Stop).
type stopping struct {
	bootlevel.Observer
	stop func()
}

func (s stopping) Stop() { s.stop() }

// runLogger opens <logdir>/<run>.log (0600) at the -l level, or for -f -
// the command's stderr (env.Streams.Err: in the process, guarded so that
// nothing follows the last words of a second signal).
func runLogger(o options, env cl.Env, run string) (*slog.Logger, func(), error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(o.LogLevel)); err != nil {
		return nil, nil, err
	}
	w := env.Streams.Err
	closeFn := func() {}
	if o.LogDir != "-" {
		if err := os.MkdirAll(o.LogDir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("log directory: %w", err)
		}
		f, err := bootlevel.OpenLog(filepath.Join(o.LogDir, run+".log"))
		if err != nil {
			return nil, nil, fmt.Errorf("run log: %w", err)
		}
		w, closeFn = f, func() { f.Close() }
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl})).With("run", run), closeFn, nil
}

// driverOpener maps a service's iaas value (and whether it sets iaas_url)
// to a driver from the registry (Registry.Resolve; a value no driver
// serves is an error with a hint), wrapped as its registry entry says
// (Registry.Wrap), one driver per registered name. CLOUDINITD_TESTENV (as
// in cloudinit.d) uses the fake cloud for every value. A dry run uses one
// in-memory fake cloud whose every launch is a dry run, built here.
func driverOpener(o options, env cl.Env, logger *slog.Logger, tracer *cl.Tracer, dryRun bool) func(iaas.Selector) (iaas.Driver, error) {
	reg := drivers.Registry()
	var mu sync.Mutex
	opened := map[string]iaas.Driver{}
	open := func(name string, cfg iaas.Config) (iaas.Driver, error) {
		if dryRun {
			return fake.New(fake.Options{Memory: true, DryRun: true, LookupEnv: cfg.LookupEnv, Logger: cfg.Logger})
		}
		return reg.Open(name, cfg)
	}
	return func(sel iaas.Selector) (iaas.Driver, error) {
		name, err := reg.Resolve(sel)
		if err != nil {
			return nil, cl.WithHint(err, "iaas names the cloud: local, fake, ec2 (aws, nimbus, eucalyptus), an EC2 region, or any region of the cloud at iaas_url; see docs/plan-format.md")
		}
		if _, test := env.LookupEnv("CLOUDINITD_TESTENV"); test || dryRun {
			name = fake.Name
		}
		mu.Lock()
		defer mu.Unlock()
		if d, ok := opened[name]; ok {
			return d, nil
		}
		cfg := iaas.Config{StateDir: o.DBDir, Logger: logger, LookupEnv: env.LookupEnv}
		d, err := open(name, cfg)
		if err != nil {
			return nil, err
		}
		if tracer != nil {
			d = cl.TraceDriver(d, tracer) // each cloud call, retries included
		}
		d = reg.Wrap(d, cfg) // the policy of d's entry, found by d.Name()
		opened[name] = d
		return d, nil
	}
}

// runTracer opens the -s trace, <logdir>/<run>/stacktrace.log (0600), or
// stderr with -f -; nil without -s.
func runTracer(o options, env cl.Env, run string) (*cl.Tracer, func(), error) {
	if !o.LogStack {
		return nil, func() {}, nil
	}
	if o.LogDir == "-" {
		return cl.NewTracer(env.Streams.Err), func() {}, nil
	}
	dir := filepath.Join(o.LogDir, run)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("-s: %w", err)
	}
	f, err := bootlevel.OpenLog(filepath.Join(dir, "stacktrace.log"))
	if err != nil {
		return nil, nil, fmt.Errorf("-s: %w", err)
	}
	return cl.NewTracer(cl.MaskWriter(f, env.Secrets)), func() { f.Close() }, nil
}

// since formats the time spent since t.
func since(t time.Time) string { return fmt.Sprintf("%.1fs", time.Since(t).Seconds()) }

// commandGlobals are the -g NAME=VALUE of the command line (checked by
// optionsFrom), for the engine: they win over the record's globals, and a
// secret one (never recorded) exists only there.
func commandGlobals(o options) map[string]string {
	if len(o.Globals) == 0 {
		return nil
	}
	m := make(map[string]string, len(o.Globals))
	for _, kv := range o.Globals {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			m[k] = v
		}
	}
	return m
}

// resolverOptions are what a resolver of the CLI (the -o document) takes
// from the command.
func resolverOptions(o options, env cl.Env) bootlevel.ResolverOptions {
	return bootlevel.ResolverOptions{LookupEnv: env.LookupEnv, Globals: commandGlobals(o), Secrets: env.Secrets,
		StateDir: absDir(o.DBDir)}
}

// absDir is dir made absolute (as it is when that fails), so that a
// service's program, run in its own directory, finds it.
func absDir(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

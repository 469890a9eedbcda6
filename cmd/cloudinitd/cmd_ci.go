package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/store"
)

// The 'run' command (docs/ci.md): boot a plan as a new run, run a command
// on this machine against it, and take the run down whatever happened.
// Named as CI users know it (docker run, cargo run); its files are
// cmd_ci.go and ci_*.go, since cmd_run.go holds the helper that builds the
// commands taking a RUN name (status, repair, ...).

// ownerCommand marks the runs that 'run' owns in their record (store.Owner).
const ownerCommand = "run"

func ciCommand(env cl.Env) *cli.Command {
	return &cli.Command{
		Name: "run",
		Usage: "Boot a plan as a new run, run COMMAND on this machine with the run's attributes in its environment, " +
			"then take the run down whatever happened (for CI; see docs/ci.md). Exits with COMMAND's status.",
		UsageText: "cloudinitd run PLAN [-n RUN] [-o FILE] [-g KEY=VALUE]... [-G FILE]... [--timeout DURATION] [--grace DURATION] [--keep-on-failure] [--json] [--parallel N] [--no-prelaunch] -- COMMAND [ARGS...]",
		Action: func(c *cli.Context) error {
			args := c.Args().Slice()
			i := slices.Index(args, "--")
			if i != 1 || len(args) < 3 {
				return cl.Usagef("the run command requires a plan, then -- and a command: cloudinitd run PLAN -- COMMAND [ARGS...]")
			}
			o, err := optionsFrom(c, env)
			if err != nil {
				return err
			}
			if o.DryRun || o.Resume {
				return cl.Usagef("run boots a new run for real: --dryrun and --resume are options of boot")
			}
			if o.NoClean {
				// A kept record would still name its dead owner: the next run would take it.
				return cl.Usagef("run deletes the run's record after taking it down; to keep a failed run, use --keep-on-failure")
			}
			return runCI(c.Context, o, env, args[0], args[2:])
		},
	}
}

// ciRun is one 'cloudinitd run': what happened so far.
type ciRun struct {
	o    options
	env  cl.Env
	json *cl.JSONObserver // nil without --json
	sigs chan os.Signal
	run  string
}

// event writes one of run's own events with --json.
func (r *ciRun) event(event, state, detail string, exit *int) {
	if r.json != nil {
		r.json.RunEvent(time.Now(), r.run, event, state, detail, exit)
	}
}

// runCI is 'cloudinitd run PLAN -- argv'.
func runCI(ctx context.Context, o options, env cl.Env, planPath string, argv []string) error {
	r := &ciRun{o: o, env: env, sigs: make(chan os.Signal, 8)}
	if o.JSON {
		r.json = env.Events // Main ends the stream with the result event
		if r.json == nil {
			r.json = &cl.JSONObserver{W: env.Streams.Out}
		}
	}
	if env.Signals != nil {
		defer env.Signals.Relay(r.sigs)()
	}
	return r.do(ctx, planPath, argv)
}

func (r *ciRun) do(ctx context.Context, planPath string, argv []string) error {
	o, env := r.o, r.env
	if err := recoverStale(ctx, o, env); err != nil {
		warn(env, "%v", err)
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, o.Timeout, errRunTimeout)
		defer cancel()
	}
	nr, err := createRun(ctx, o, env, planPath)
	if err != nil {
		return err // nothing was launched, nothing is left
	}
	db, rec := nr.db, nr.rec
	r.run = db.Name()
	owner, err := store.ThisProcess(ownerCommand)
	if err == nil {
		err = db.SetOwner(ctx, owner)
	}
	if err != nil {
		return errors.Join(fmt.Errorf("record the run's owner: %w", err), nr.discard())
	}
	progress(o, env, "Starting up run %s", r.run)
	// The owner is the run row's, which the boot reads: rec stays its image.
	bootErr := bootEngine(ctx, o, env, db, bootlevel.BootOptions{Prelaunch: !o.NoPrelaunch, Recorded: rec})
	var cmdRes commandResult
	var doc string
	var vars ciVars
	if bootErr == nil && ctx.Err() == nil {
		doc, vars, bootErr = r.prepare(ctx, db)
	}
	// COMMAND's own 'cloudinitd status' needs the run's lock: let it go.
	if cerr := db.Close(); cerr != nil && bootErr == nil {
		bootErr = cerr
	}
	if bootErr == nil && ctx.Err() == nil {
		for _, s := range vars.skipped {
			warn(env, "%s", s)
		}
		cmdRes = r.command(ctx, argv, vars)
	}
	failed := bootErr != nil || cmdRes.code != 0
	stopped := ctx.Err() != nil
	var tdErr error
	if failed && !stopped && o.KeepOnFailure {
		tdErr = r.keep(ctx, doc)
	} else {
		tdErr = r.teardown(ctx)
		if tdErr == nil && doc != "" && o.Output == "" {
			if err := os.RemoveAll(filepath.Dir(doc)); err != nil {
				notice(env, "%s: warning: remove the run document: %v", progName, err)
			}
		}
	}
	return r.outcome(ctx, bootErr, cmdRes, tdErr)
}

// prepare writes the run document (-o FILE, or a file in a new temporary
// directory) and reads the run's variables.
func (r *ciRun) prepare(ctx context.Context, db *store.DB) (string, ciVars, error) {
	doc := r.o.Output
	if doc == "" {
		dir, err := os.MkdirTemp("", "cloudinitd-run-")
		if err != nil {
			return "", ciVars{}, fmt.Errorf("run document: %w", err)
		}
		doc = filepath.Join(dir, r.run+".json")
	}
	ro := resolverOptions(r.o, r.env)
	if err := writeDocument(ctx, db, ro, doc, false); err != nil {
		return doc, ciVars{}, err
	}
	vars, err := runVars(ctx, db, ro, r.o.DBDir, doc)
	return doc, vars, err
}

// command runs argv with the run's variables.
func (r *ciRun) command(ctx context.Context, argv []string, vars ciVars) commandResult {
	var environ []string
	if r.env.Environ != nil {
		environ = r.env.Environ()
	}
	out := r.env.Streams.Out
	if r.o.JSON {
		out = r.env.Streams.Err // stdout is the NDJSON stream
	}
	progress(r.o, r.env, "Running %s against run %s", strings.Join(argv, " "), r.run)
	r.event("command-start", "", strings.Join(argv, " "), nil)
	say := func(format string, args ...any) { notice(r.env, format, args...) }
	res := execCommand(ctx, argv, vars.environ(environ), r.env.Streams.In, out, r.env.Streams.Err, r.sigs, r.o.Grace, say)
	detail := "exit status 0"
	if res.err != nil {
		detail = res.err.Error()
	}
	r.event("command-exit", "", detail, &res.code)
	progress(r.o, r.env, "The command ended: %s", detail)
	return res
}

// teardown terminates the run and deletes its record, whatever ctx says:
// under a context that is not canceled. It waits for the run's lock, which
// a 'cloudinitd status' the command left running may hold. Stop signals
// that come meanwhile are answered, not obeyed: a killed teardown is what
// 'clean --stale' is for.
func (r *ciRun) teardown(ctx context.Context) error {
	tctx := context.WithoutCancel(ctx)
	done, answered := make(chan struct{}), make(chan struct{})
	defer func() { close(done); <-answered }() // no answer printed after teardown
	go func() {
		defer close(answered)
		for {
			select {
			case s := <-r.sigs:
				notice(r.env, "%s: %s: taking run %s down first (SIGKILL abandons it; then 'cloudinitd clean --stale' finishes)",
					progName, signalName(s), r.run)
			case <-done:
				return
			}
		}
	}()
	r.event("teardown", "start", "", nil)
	db, err := openRunWait(tctx, r.o, r.env, r.run, 2*time.Minute)
	if err == nil {
		err = terminateDB(tctx, r.o, r.env, db)
		db.Close()
	}
	state := "done"
	if err != nil {
		state = "failed"
	}
	r.event("teardown", state, errText(err), nil)
	return err
}

// keep hands the run over to the user (--keep-on-failure): no owner, so
// that neither 'clean --stale' nor the next 'run' takes it down, and what
// to do with it.
func (r *ciRun) keep(ctx context.Context, doc string) error {
	cctx := context.WithoutCancel(ctx)
	db, err := openRunWait(cctx, r.o, r.env, r.run, 2*time.Minute)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.SetOwner(cctx, store.Owner{}); err != nil {
		return err
	}
	d := "-d " + r.o.DBDir
	notice(r.env, "%s: kept run %s for debugging (--keep-on-failure)", progName, r.run)
	notice(r.env, "  look at it:   cloudinitd %s status %s; cloudinitd %s history %s", d, r.run, d, r.run)
	if doc != "" {
		notice(r.env, "  its document: %s (hostnames and attributes of every service)", doc)
	}
	notice(r.env, "  logs:         %s", filepath.Join(r.o.LogDir, r.run))
	notice(r.env, "  take it down: cloudinitd %s terminate %s", d, r.run)
	r.event("teardown", "kept", "cloudinitd "+d+" terminate "+r.run, nil)
	return nil
}

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/store"
)

func bootCommand(env cl.Env) *cli.Command {
	return &cli.Command{
		Name: "boot",
		Usage: "Boot a launch plan: start every level's services, level by level, " +
			"and record the run. With --resume RUN, continue an interrupted boot.",
		UsageText: "cloudinitd boot PLAN [-n RUN] [-x] [-y [-c]] [-o FILE] [-g KEY=VALUE]... [-G FILE]... [--json] [--parallel N] [--no-prelaunch]\n" +
			"cloudinitd boot --resume RUN [-o FILE] [-g KEY=VALUE]... [--json] [--parallel N] [--no-prelaunch]",
		Action: func(c *cli.Context) error {
			what := "the path of a launch plan's top file"
			if c.Bool("resume") {
				what = "the name of the run to resume"
			}
			if err := needArgs(c, 1, what); err != nil {
				return err
			}
			o, err := optionsFrom(c, env)
			if err != nil {
				return err
			}
			if o.Resume {
				if err := refuseWithResume(c); err != nil {
					return err
				}
				return runResume(c.Context, o, env, c.Args().First())
			}
			if o.NoClean && !o.DryRun {
				// A boot keeps its record whatever happens; -c is for what
				// removes one (a dry run, terminate).
				return cl.Usagef("-c (--noclean) keeps the record of a dry run (-y); a boot keeps its record anyway")
			}
			return runBoot(c.Context, o, env, c.Args().First())
		},
	}
}

// runBoot loads the plan, records it under a new run, and boots it.
func runBoot(ctx context.Context, o options, env cl.Env, planPath string) error {
	r, err := createRun(ctx, o, env, planPath)
	if err != nil {
		return err
	}
	defer r.db.Close()
	progress(o, env, "Starting up run %s", r.db.Name())
	return bootRecorded(ctx, o, env, r.db, r.dirs, bootlevel.BootOptions{Prelaunch: !o.NoPrelaunch, Recorded: r.rec})
}

// refuseWithResume refuses the options of a new boot that --resume cannot
// honour: it continues the recorded run, for real, under the name, plan
// and -G globals it was recorded with. -y took a resumed run for a dry
// run: it walked a simulated cloud, then deleted the real run's record,
// its instances still running.
func refuseWithResume(c *cli.Context) error {
	for _, f := range []struct{ name, short string }{
		{"dryrun", "y"}, {"noclean", "c"}, {"name", "n"}, {"validate", "x"}, {"globalvarfile", "G"},
	} {
		if c.IsSet(f.name) {
			return cl.WithHint(cl.Usagef("-%s (--%s) is an option of a new boot, not of --resume", f.short, f.name),
				fmt.Sprintf("'cloudinitd boot --resume %s' continues the run as it was recorded; 'cloudinitd boot PLAN' starts a new one", c.Args().First()))
		}
	}
	return nil
}

// runResume continues a boot from its record.
func runResume(ctx context.Context, o options, env cl.Env, run string) error {
	db, err := openRun(ctx, o, run)
	if err != nil {
		return err
	}
	defer db.Close()
	progress(o, env, "Resuming run %s", run)
	err = bootRecorded(ctx, o, env, db, nil, bootlevel.BootOptions{Prelaunch: !o.NoPrelaunch, Resume: true})
	if errors.Is(err, bootlevel.ErrNoPlan) {
		return cl.WithHint(err, fmt.Sprintf("'cloudinitd terminate %s' removes the record; then boot the plan again", run))
	}
	return err
}

// bootRecorded boots the run in db, cleans up stray instances, writes the
// document, and for a dry run removes the record unless -c, with the
// directories made for it (dirs, if empty; nil on --resume).
func bootRecorded(ctx context.Context, o options, env cl.Env, db *store.DB, dirs madeDirs, bo bootlevel.BootOptions) error {
	run := db.Name()
	start := time.Now()
	if !o.DryRun {
		// A second Ctrl-C exits at once: it still says how to go on, also
		// after the stop, while the error and its hints are not printed yet.
		env.Signals.ExitHints(fmt.Sprintf("continue with: cloudinitd boot --resume %s", run),
			fmt.Sprintf("or take it down: cloudinitd terminate %s", run))
	}
	bootErr := bootEngine(ctx, o, env, db, bo)
	if bootErr == nil {
		env.Signals.ExitHints()
	}
	var docErr error
	if bootErr == nil && o.Output != "" {
		docErr = writeDocument(ctx, db, resolverOptions(o, env), o.Output, o.DryRun)
	}
	if o.DryRun {
		// The record of a dry run goes, whatever failed.
		if !o.NoClean {
			if err := (newRun{db: db, dirs: dirs}).discard(); err != nil {
				return errors.Join(bootErr, docErr, err)
			}
		}
		if bootErr != nil {
			return explain(bootErr, run, "the dry run found the problem above; nothing was launched")
		}
		if docErr != nil {
			return docErr
		}
		progress(o, env, "Dry run of %s successful (%s)", run, since(start))
		return nil
	}
	if docErr != nil {
		return docErr
	}
	if errors.Is(bootErr, context.Canceled) {
		notice(env, "%s: boot of %s stopped; every instance launched is recorded", progName, run)
		return cl.WithHint(bootErr,
			fmt.Sprintf("continue with: cloudinitd boot --resume %s", run),
			fmt.Sprintf("or take it down: cloudinitd terminate %s", run))
	}
	if errors.Is(bootErr, iaas.ErrCapacity) {
		// repair would terminate the healthy instances that had not
		// booted yet (they fail its checks); resume boots them.
		return explain(bootErr, run,
			fmt.Sprintf("once the cloud has room, 'cloudinitd boot --resume %s' continues the boot and keeps the instances already launched; or take the run down with 'cloudinitd terminate %s'", run, run))
	}
	if bootErr != nil {
		return explain(bootErr, run,
			fmt.Sprintf("fix the cause, then 'cloudinitd repair %s', or take the run down with 'cloudinitd terminate %s'", run, run))
	}
	progress(o, env, "SUCCESS run %s booted (%s)", run, since(start))
	progress(o, env, "check it: cloudinitd status %s; take it down: cloudinitd terminate %s", run, run)
	return nil
}

// bootEngine boots the run in db on an engine of the command's options,
// then (unless stopped) cleans up stray instances.
func bootEngine(ctx context.Context, o options, env cl.Env, db *store.DB, bo bootlevel.BootOptions) error {
	return withEngine(o, env, db, o.DryRun, "boot", func(e *bootlevel.Engine) error {
		err := e.Boot(ctx, bo)
		if ctx.Err() == nil {
			if _, cerr := e.Clean(ctx); cerr != nil && err == nil {
				err = cerr
			}
		}
		return err
	})
}

// validateRun is -x: every check that can be made before anything is
// launched, on the recorded run: each service's driver, image, key pair and
// security groups where the cloud can tell, and its SSH credentials. Every
// problem is reported; a failure reads "what: ..." with hint.
func validateRun(ctx context.Context, o options, env cl.Env, db *store.DB, what, hint string) error {
	err := withEngine(o, env, db, o.DryRun, "validate", func(e *bootlevel.Engine) error { return e.Validate(ctx) })
	if err != nil {
		return cl.WithHint(cl.NotValid(fmt.Errorf("%s: %w", what, err)), hint)
	}
	return nil
}

// newRunName returns 8 random hex characters, as cloudinit.d did.
func newRunName() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// progress prints a line about the run to stderr unless -q or --json, and
// to the -O transcript always.
func progress(o options, env cl.Env, format string, args ...any) {
	line := fmt.Sprintf(format+"\n", args...)
	env.Transcript.Write([]byte(line))
	if o.Verbosity == 0 || o.JSON {
		return
	}
	io.WriteString(env.Streams.Err, line)
}

// notice prints a line that is shown even with -q (a warning, what an
// interruption left) to stderr and the -O transcript.
func notice(env cl.Env, format string, args ...any) {
	fmt.Fprintf(io.MultiWriter(env.Streams.Err, env.Transcript), format+"\n", args...)
}

// warn says "cloudinitd: warning: ..." on stderr (and -O), and with --json
// is a warning event too.
func warn(env cl.Env, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	notice(env, "%s: warning: %s", progName, msg)
	if env.Events != nil && env.Events.Enabled() {
		env.Events.Warning(time.Now(), "", msg)
	}
}

// openRunReadOnly opens an existing run's record for reading, without the
// run's lock.
func openRunReadOnly(ctx context.Context, o options, run string) (*store.DB, error) {
	db, err := store.OpenReadOnly(ctx, o.DBDir, run)
	if errors.Is(err, store.ErrNoRun) {
		return nil, cl.WithHint(err, "'cloudinitd list' shows the runs recorded in "+o.DBDir)
	}
	return db, err
}

// openRun opens an existing run's record for writing.
func openRun(ctx context.Context, o options, run string) (*store.DB, error) {
	db, err := store.Open(ctx, o.DBDir, run)
	switch {
	case errors.Is(err, store.ErrNoRun):
		return nil, cl.WithHint(err, "'cloudinitd list' shows the runs recorded in "+o.DBDir)
	case errors.Is(err, store.ErrLocked):
		return nil, cl.WithHint(err, "another cloudinitd is working on this run; wait for it to finish")
	}
	return db, err
}

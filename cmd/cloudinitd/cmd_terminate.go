package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/store"
)

func terminateCommand(env cl.Env) *cli.Command {
	return &cli.Command{
		Name: "terminate",
		Usage: "Take runs down: services in reverse level order, each terminate program, then every instance " +
			"the run ever launched. The record is then deleted, unless --noclean or anything failed.",
		UsageText: "cloudinitd terminate RUN [RUN...] [-c | -C | --forget] [--keep-logs] [-g KEY=VALUE]... [--json] [--parallel N]",
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return cl.Usagef("the terminate command requires the name of at least one run")
			}
			o, err := optionsFrom(c, env)
			if err != nil {
				return err
			}
			var errs []error
			for _, run := range c.Args().Slice() {
				if err := terminateRun(c.Context, o, env, run); err != nil {
					errs = append(errs, fmt.Errorf("run %s: %w", run, err))
				}
				if c.Context.Err() != nil {
					break
				}
			}
			return errors.Join(errs...)
		},
	}
}

// terminateRun terminates one run and deletes its record unless told not
// to. A record is never deleted after a failure (cloudinit.d deleted it
// unless --safeclean, forgetting instances that might still run): --safeclean
// is therefore what always happens. Every run is tried; the exit status says
// whether any failed.
//
// A run without a record has nothing to terminate, and one never booted
// (its plan recorded, nothing launched) nothing but its record: both
// succeed, so that a teardown can always be run again. Once a record is
// gone, what the run left on this machine goes too unless --keep-logs
// (pruneRun).
func terminateRun(ctx context.Context, o options, env cl.Env, run string) error {
	db, err := openRun(ctx, o, run)
	if errors.Is(err, store.ErrNoRun) {
		progress(o, env, "Nothing to terminate: run %s has no record in %s", run, o.DBDir)
		pruneRun(ctx, o, env, iaas.RunID{Name: run})
		return nil
	}
	if err != nil {
		return err
	}
	defer db.Close()
	id := iaas.RunID{Name: run, Incarnation: db.Incarnation()}
	never, err := neverBooted(ctx, db)
	if err != nil {
		return err
	}
	if never {
		progress(o, env, "Nothing to terminate: run %s was never booted (no instance was ever launched)", run)
		if o.NoClean {
			return nil
		}
		progress(o, env, "Deleting the record %s", db.File())
		if err := db.Delete(); err != nil {
			return err
		}
	} else if err := terminateDB(ctx, o, env, db); err != nil || o.NoClean {
		return err
	}
	pruneRun(ctx, o, env, id)
	return nil
}

// terminateDB terminates the run of db (open for writing) as terminateRun
// does, and deletes its record unless -c or anything failed.
func terminateDB(ctx context.Context, o options, env cl.Env, db *store.DB) error {
	run := db.Name()
	progress(o, env, "Terminating %s", run)
	start := time.Now()
	termErr := withEngine(o, env, db, false, "terminate", func(e *bootlevel.Engine) error { return e.Terminate(ctx) })
	switch {
	case o.NoClean:
	case termErr != nil && o.Forget:
		return forgetRun(ctx, o, env, db, termErr)
	case termErr != nil:
		progress(o, env, "There were errors when terminating %s; keeping its record %s", run, db.File())
	default:
		progress(o, env, "Deleting the record %s", db.File())
		if err := db.Delete(); err != nil {
			return err
		}
	}
	if termErr != nil {
		again := fmt.Sprintf("run 'cloudinitd terminate %s' again once the cause is fixed: what failed is tried again (a terminate program on a host the run did not launch included), services already terminated are skipped", run)
		if onlyTerminatedAnyway(termErr) {
			again = fmt.Sprintf("every instance is terminated and nothing is left to retry: 'cloudinitd terminate %s' again deletes the record", run)
		}
		return explain(termErr, run, again,
			fmt.Sprintf("'cloudinitd history %s' shows every instance of the run", run))
	}
	progress(o, env, "SUCCESS terminated %s (%s)", run, since(start))
	return nil
}

// onlyTerminatedAnyway reports whether every failure in err is a service's
// host step that failed while its instance was terminated all the same
// (bootlevel.ErrTerminatedAnyway): then a second terminate has nothing to
// retry.
func onlyTerminatedAnyway(err error) bool {
	switch u := err.(type) {
	case *bootlevel.ServiceError:
		return errors.Is(u, bootlevel.ErrTerminatedAnyway)
	case interface{ Unwrap() []error }:
		for _, x := range u.Unwrap() {
			if !onlyTerminatedAnyway(x) {
				return false
			}
		}
		return len(u.Unwrap()) > 0
	case interface{ Unwrap() error }:
		return onlyTerminatedAnyway(u.Unwrap())
	}
	return false
}

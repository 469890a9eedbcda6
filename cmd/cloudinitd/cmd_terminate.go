package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
)

func terminateCommand(env cl.Env) *cli.Command {
	return &cli.Command{
		Name: "terminate",
		Usage: "Take runs down: services in reverse level order, each terminate program, then every instance " +
			"the run ever launched. The record is then deleted, unless --noclean or anything failed.",
		UsageText: "cloudinitd terminate RUN [RUN...] [-c | -C]",
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
func terminateRun(ctx context.Context, o options, env cl.Env, run string) error {
	db, err := openRun(ctx, o, run)
	if err != nil {
		return err
	}
	defer db.Close()
	progress(o, env, "Terminating %s", run)
	start := time.Now()
	termErr := withEngine(o, env, db, false, "terminate", func(e *bootlevel.Engine) error { return e.Terminate(ctx) })
	switch {
	case o.NoClean:
	case termErr != nil:
		progress(o, env, "There were errors when terminating %s; keeping its record %s", run, db.File())
	default:
		progress(o, env, "Deleting the record %s", db.File())
		if err := db.Delete(); err != nil {
			return err
		}
	}
	if termErr != nil {
		return explain(termErr, run,
			fmt.Sprintf("run 'cloudinitd terminate %s' again once the cause is fixed; services already terminated are skipped", run),
			fmt.Sprintf("'cloudinitd history %s' shows every instance of the run", run))
	}
	progress(o, env, "SUCCESS terminated %s (%s)", run, since(start))
	return nil
}

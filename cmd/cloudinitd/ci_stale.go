package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/store"
)

// staleRuns lists the runs of the record directory that 'run' owned and
// whose owner process is gone (killed with SIGKILL, or its machine
// rebooted): store.Owner.State says OwnerGone. A record that cannot be
// read, or made before owners were recorded, is not one of them.
func staleRuns(ctx context.Context, o options) ([]string, error) {
	runs, err := store.List(o.DBDir)
	if err != nil {
		return nil, err
	}
	var stale []string
	for _, run := range runs {
		db, err := store.OpenReadOnly(ctx, o.DBDir, run)
		if err != nil {
			continue
		}
		r, err := db.Run(ctx)
		db.Close()
		if err != nil || r.Owner.Command != ownerCommand || r.Owner.State() != store.OwnerGone {
			continue
		}
		stale = append(stale, run)
	}
	return stale, nil
}

// recoverStale takes down the runs of the record directory whose 'run'
// process is gone (staleRuns), each as 'terminate' does; a run another
// process holds (a 'clean --stale' beside us) is left to it. The error
// joins the failures; every run is tried.
func recoverStale(ctx context.Context, o options, env cl.Env) error {
	stale, err := staleRuns(ctx, o)
	if err != nil {
		return err
	}
	var errs []error
	for _, run := range stale {
		db, err := openRun(ctx, o, run)
		if errors.Is(err, store.ErrLocked) {
			continue
		}
		if err == nil {
			// Checked again under the lock: a 'run' may have been handed over meanwhile.
			var r store.Run
			if r, err = db.Run(ctx); err == nil && r.Owner.Command == ownerCommand && r.Owner.State() == store.OwnerGone {
				notice(env, "%s: run %s was started by %s, which is gone: taking it down", progName, run, r.Owner)
				err = terminateDB(ctx, o, env, db)
			}
			db.Close()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("stale run %s: %w", run, err))
		}
		if ctx.Err() != nil {
			break
		}
	}
	return errors.Join(errs...)
}

// withStale makes 'clean --stale' of the clean command: without --stale
// it is clean RUN as before.
func withStale(env cl.Env, c *cli.Command) *cli.Command {
	clean := c.Action
	c.UsageText += "\ncloudinitd clean --stale [--older-than DURATION PLAN]"
	c.Action = func(c *cli.Context) error {
		if !c.Bool("stale") {
			return clean(c)
		}
		o, err := optionsFrom(c, env)
		if err != nil {
			return err
		}
		if !o.SweepTags {
			if err := needArgs(c, 0, "no run name with --stale (it finds the stale runs itself)"); err != nil {
				return err
			}
			return recoverStale(c.Context, o, env)
		}
		if err := needArgs(c, 1, "with --older-than the plan whose clouds to sweep"); err != nil {
			return err
		}
		return errors.Join(recoverStale(c.Context, o, env), sweepStartedBy(c.Context, o, env, c.Args().First()))
	}
	return c
}

// sweepStartedBy is 'clean --stale --older-than DURATION PLAN': on the
// clouds of the plan's services, the runs 'run' started more than
// DURATION ago and left (their record directory thrown away with a CI
// machine) are taken down, found by tag (bootlevel.SweepStartedBy). A run
// whose record is in the record directory with its owner alive, or
// handed over (--keep-on-failure), is left alone. The plan is recorded in
// a scratch record in a temporary directory, so that the engine opens and
// scopes the drivers as for any command; nothing is launched.
func sweepStartedBy(ctx context.Context, o options, env cl.Env, planPath string) error {
	p, err := loadPlan(ctx, planPath, o, env)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "cloudinitd-sweep-")
	if err != nil {
		return fmt.Errorf("scratch record: %w", err)
	}
	defer os.RemoveAll(dir)
	scratch, err := store.Create(ctx, dir, "clean-stale", store.Run{TopConf: p.TopFile})
	if err != nil {
		return fmt.Errorf("scratch record: %w", err)
	}
	defer scratch.Close()
	if err := bootlevel.Record(ctx, scratch, p); err != nil {
		return err
	}
	cutoff := time.Now().Add(-o.OlderThan)
	keep := func(id iaas.RunID) bool { return caredFor(ctx, o, id) }
	var swept []bootlevel.Swept
	err = withEngine(o, env, scratch, false, "clean --stale", func(e *bootlevel.Engine) error {
		var err error
		swept, err = e.SweepStartedBy(ctx, ownerCommand, cutoff, keep)
		return err
	})
	for _, s := range swept {
		progress(o, env, "terminated %s (%s): run %s, service %s, launched %s", s.Instance.ID, s.Driver,
			s.Instance.Run, s.Instance.Service, s.Instance.LaunchedAt.Local().Format(time.RFC3339))
	}
	progress(o, env, "clean --stale: %d instances left by 'run' terminated", len(swept))
	return err
}

// caredFor reports whether the run id has a record in the record
// directory that a live 'run' owns, or that nobody owns (handed over with
// --keep-on-failure): then a sweep by tag leaves it alone.
func caredFor(ctx context.Context, o options, id iaas.RunID) bool {
	db, err := store.OpenReadOnly(ctx, o.DBDir, id.Name)
	if err != nil {
		return false
	}
	defer db.Close()
	r, err := db.Run(ctx)
	if err != nil || r.Incarnation != id.Incarnation {
		return false
	}
	return r.Owner.State() != store.OwnerGone
}

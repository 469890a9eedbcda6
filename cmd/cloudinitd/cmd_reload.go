package main

import (
	"context"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/store"
)

func reloadCommand(env cl.Env) *cli.Command {
	return &cli.Command{
		Name: "reload",
		Usage: "Read a (fixed) launch plan into an existing run's record: services are matched by name and " +
			"keep their state, instance and history. Nothing runs; follow with repair.",
		UsageText: "cloudinitd reload PLAN -n RUN [-x] [-g KEY=VALUE]... [-G FILE]...",
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 1, "the path of a launch plan's top file"); err != nil {
				return err
			}
			o, err := optionsFrom(c, env)
			if err != nil {
				return err
			}
			if o.Name == "" {
				return cl.Usagef("the reload command requires the run's name: -n RUN")
			}
			return runReload(c.Context, o, env, c.Args().First())
		},
	}
}

func runReload(ctx context.Context, o options, env cl.Env, planPath string) error {
	p, err := loadPlan(ctx, planPath, o, env)
	if err != nil {
		return err
	}
	db, err := openRun(ctx, o, o.Name)
	if err != nil {
		return err
	}
	defer db.Close()
	if o.Validate {
		if err := validateReload(ctx, o, env, p); err != nil {
			return err
		}
	}
	if err := bootlevel.Record(ctx, db, p); err != nil {
		return err
	}
	progress(o, env, "Reloaded the plan of run %s from %s; 'cloudinitd repair %s' applies it", o.Name, displayPath(p.TopFile), o.Name)
	return nil
}

// validateReload runs -x on the new plan before the run's record is
// touched: the plan goes into a scratch record of the same run name in a
// temporary directory, the engine validates that, and the scratch record is
// removed. A plan that fails leaves the run's record as it was.
func validateReload(ctx context.Context, o options, env cl.Env, p *plan.Plan) error {
	dir, err := os.MkdirTemp("", "cloudinitd-reload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	scratch, err := store.Create(ctx, dir, o.Name, store.Run{TopConf: p.TopFile})
	if err != nil {
		return fmt.Errorf("scratch record for -x: %w", err)
	}
	defer scratch.Close()
	if err := bootlevel.Record(ctx, scratch, p); err != nil {
		return err
	}
	return validateRun(ctx, o, env, scratch, "the plan is not valid", "the run's record was not changed")
}

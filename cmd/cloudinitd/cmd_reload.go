package main

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
)

func reloadCommand(env cl.Env) *cli.Command {
	return &cli.Command{
		Name: "reload",
		Usage: "Read a (fixed) launch plan into an existing run's record: services are matched by name and " +
			"keep their state, instance and history. Nothing runs; follow with repair.",
		UsageText: "cloudinitd reload PLAN -n RUN [-x]",
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
	p, err := loadPlan(planPath, o, env)
	if err != nil {
		return err
	}
	db, err := openRun(ctx, o, o.Name)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := bootlevel.Record(ctx, db, p); err != nil {
		return err
	}
	if o.Validate {
		if err := validateRun(ctx, o, env, db); err != nil {
			return err
		}
	}
	progress(o, env, "Reloaded the plan of run %s from %s; 'cloudinitd repair %s' applies it", o.Name, displayPath(p.TopFile), o.Name)
	return nil
}

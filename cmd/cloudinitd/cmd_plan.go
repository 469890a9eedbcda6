package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/iaas/drivers"
	"github.com/cloudinitd/cloudinitd/plan"
)

func planCommand(env cl.Env) *cli.Command {
	sub := func(name, usage, opts string, run func(*plan.Plan, options, cl.IOStreams) error) *cli.Command {
		return &cli.Command{
			Name:      name,
			Usage:     usage,
			UsageText: "cloudinitd plan " + name + " PLAN [-g KEY=VALUE]... [-G FILE]..." + opts,
			Action: func(c *cli.Context) error {
				if err := needArgs(c, 1, "the path of a launch plan's top file"); err != nil {
					return err
				}
				o, err := optionsFrom(c, env)
				if err != nil {
					return err
				}
				if o.JSON {
					env.Events.Disable() // stdout is one document, not an event stream
				}
				p, err := loadPlan(c.Context, c.Args().First(), o, env)
				if err != nil {
					return err
				}
				return run(p, o, env.Streams)
			},
		}
	}
	return &cli.Command{
		Name:   "plan",
		Usage:  "Read a launch plan without launching anything.",
		Action: subcommandAction,
		Subcommands: []*cli.Command{
			sub("validate", "Load a launch plan and report every problem in it at once; exit 3 if it is invalid.", "", runPlanValidate),
			sub("show", "Show a launch plan's levels and services, every resolved value with where it came from, and the dependencies between services; --json: as one JSON document.", " [--json]", runPlanShow),
			sub("graph", "Write a launch plan as a Graphviz DOT graph of levels, services and ${} references.", "", runPlanGraph),
		},
	}
}

// loadPlan loads the plan at path with the global variables of the command
// line, and prints its warnings to stderr unless -q. ctx is the command's
// signal context: Ctrl-C or SIGTERM stops a long load.
func loadPlan(ctx context.Context, path string, o options, env cl.Env) (*plan.Plan, error) {
	p, err := plan.Load(ctx, env.ExpandHome(path), plan.Options{
		GlobalFiles: o.GlobalFiles,
		GlobalVars:  o.Globals,
		LookupEnv:   env.LookupEnv,
		HomeDir:     env.HomeDir,
		IaaS:        drivers.PlanIaaS(drivers.Registry()),
	})
	if errors.Is(err, plan.ErrInvalid) {
		return nil, cl.WithHint(err, "fix the problems above; docs/plan-format.md describes every key")
	}
	if err != nil {
		return nil, err
	}
	for _, w := range p.Warnings {
		w.Warning = false // said once, by the "warning:" prefix
		if o.Verbosity > 0 {
			warn(env, "%s", w.Error())
		} else {
			fmt.Fprintf(env.Transcript, "%s: warning: %s\n", progName, w.Error()) // -O has every message
		}
	}
	return p, nil
}

func runPlanValidate(p *plan.Plan, o options, s cl.IOStreams) error {
	n := len(p.Services())
	fmt.Fprintf(s.Out, "%s: valid: %d %s, %d %s, %d %s\n", displayPath(p.TopFile),
		len(p.Levels), plural(len(p.Levels), "level", "levels"),
		n, plural(n, "service", "services"),
		len(p.Warnings), plural(len(p.Warnings), "warning", "warnings"))
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

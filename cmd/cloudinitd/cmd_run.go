package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
)

// runCommand builds a command that takes one run name and runs op on the
// run's engine, then cleans up stray instances (as cloudinit.d did after
// status, repair and reboot) and writes the -o document when asked.
func runCommand(env cl.Env, name, usage string, clean, doc bool, op func(*bootlevel.Engine, context.Context) error, next func(run string) []string) *cli.Command {
	docUsage := ""
	if doc {
		docUsage = " [-o FILE]"
	}
	return &cli.Command{
		Name:      name,
		Usage:     usage,
		UsageText: "cloudinitd " + name + " RUN" + docUsage + " [-g KEY=VALUE]... [--json] [--parallel N]",
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 1, "the name of a run"); err != nil {
				return err
			}
			o, err := optionsFrom(c, env)
			if err != nil {
				return err
			}
			ctx, run := c.Context, c.Args().First()
			db, err := openRun(ctx, o, run)
			if err != nil {
				return err
			}
			defer db.Close()
			start := time.Now()
			opErr := withEngine(o, env, db, false, name, func(e *bootlevel.Engine) error {
				err := op(e, ctx)
				if clean && ctx.Err() == nil {
					if _, cerr := e.Clean(ctx); cerr != nil && err == nil {
						err = cerr
					}
				}
				return err
			})
			// status reports: its -o document is written also when a
			// service is not ready (it holds each service's state).
			if doc && (opErr == nil || name == "status") && o.Output != "" && ctx.Err() == nil {
				if err := writeDocument(ctx, db, resolverOptions(o, env), o.Output, false); err != nil {
					return errors.Join(opErr, err)
				}
			}
			if opErr != nil {
				return explain(opErr, run, next(run)...)
			}
			progress(o, env, "SUCCESS %s %s (%s)", name, run, since(start))
			return nil
		},
	}
}

func statusCommand(env cl.Env) *cli.Command {
	return runCommand(env, "status",
		"Check every service of a run with its ready program, level by level; exit 1 if any service is not ready (suitable for cron).",
		true, true, (*bootlevel.Engine).Status,
		func(run string) []string {
			return []string{fmt.Sprintf("'cloudinitd repair %s' restarts the services that are not ready", run)}
		})
}

func repairCommand(env cl.Env) *cli.Command {
	return runCommand(env, "repair",
		"Check a run like status, restart each failed service on a new instance (at most twice), then check later levels again.",
		true, true, (*bootlevel.Engine).Repair,
		func(run string) []string {
			return []string{fmt.Sprintf("look at the service log, fix the plan, 'cloudinitd reload PLAN -n %s', then repair again", run)}
		})
}

func rebootCommand(env cl.Env) *cli.Command {
	return runCommand(env, "reboot",
		"Terminate every service of a run and boot it again (new instances, no pre-launch).",
		true, true, (*bootlevel.Engine).Reboot,
		func(run string) []string {
			return []string{fmt.Sprintf("'cloudinitd terminate %s' takes the run down", run)}
		})
}

func cleanCommand(env cl.Env) *cli.Command {
	return withStale(env, withoutParallel(runCommand(env, "clean",
		"Terminate the instances a run left behind: earlier instances of its services, and instances of services that never started.",
		false, false, func(e *bootlevel.Engine, ctx context.Context) error {
			_, err := e.Clean(ctx)
			return err
		},
		func(run string) []string { return nil })))
}

// withoutParallel drops --parallel from c's usage: clean terminates
// instances one by one, with no level walk for --parallel to bound.
func withoutParallel(c *cli.Command) *cli.Command {
	c.UsageText = strings.Replace(c.UsageText, " [--parallel N]", "", 1)
	return c
}

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/store"
)

func hostkeyCommand(env cl.Env) *cli.Command {
	return &cli.Command{
		Name:   "hostkey",
		Usage:  "Manage the SSH host keys recorded for a run's hosts.",
		Action: subcommandAction,
		Subcommands: []*cli.Command{{
			Name: "forget",
			Usage: "Forget the SSH host key recorded for SERVICE's host (for every service of the run on that host), " +
				"or for every host of the run: the next connection records the key the host then offers. " +
				"For a host rebuilt behind hostname:, once you are sure it was.",
			UsageText: "cloudinitd hostkey forget RUN [SERVICE]",
			Action: func(c *cli.Context) error {
				if c.NArg() < 1 || c.NArg() > 2 {
					return cl.Usagef("the hostkey forget command takes the name of a run and optionally a service")
				}
				o, err := optionsFrom(c, env)
				if err != nil {
					return err
				}
				return runHostkeyForget(c.Context, o, env, c.Args().Get(0), c.Args().Get(1))
			},
		}},
	}
}

func runHostkeyForget(ctx context.Context, o options, env cl.Env, run, svc string) error {
	db, err := openRun(ctx, o, run)
	if err != nil {
		return err
	}
	defer db.Close()
	forgot, err := bootlevel.ForgetHostKeys(ctx, db, svc)
	if errors.Is(err, store.ErrNoService) {
		return cl.WithHint(err, fmt.Sprintf("'cloudinitd history %s' lists the run's services", run))
	}
	if err != nil {
		return err
	}
	if len(forgot) == 0 {
		what := "run " + run
		if svc != "" {
			what = "service " + svc
		}
		progress(o, env, "No host key is recorded for %s: nothing to forget", what)
		return nil
	}
	for _, f := range forgot {
		progress(o, env, "Forgot the host key of %s (recorded for %s)", f.Host, strings.Join(f.Services, ", "))
	}
	progress(o, env, "The next connection to each trusts and records the key it offers")
	return nil
}

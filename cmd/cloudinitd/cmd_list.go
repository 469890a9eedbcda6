package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/store"
)

func listCommand(env cl.Env) *cli.Command {
	return &cli.Command{
		Name:      "list",
		Usage:     "List the runs recorded in the database directory.",
		UsageText: "cloudinitd list",
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, "no arguments"); err != nil {
				return err
			}
			o, err := optionsFrom(c, env)
			if err != nil {
				return err
			}
			return runList(o, env.Streams)
		},
	}
}

// runList prints one run name per line. It prints even with -q: the list
// is the command's result, not progress.
func runList(o options, s cl.IOStreams) error {
	runs, err := store.List(o.DBDir)
	if err != nil {
		return fmt.Errorf("list runs in %s: %w", o.DBDir, err)
	}
	for _, r := range runs {
		fmt.Fprintln(s.Out, r)
	}
	return nil
}

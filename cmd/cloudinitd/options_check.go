package main

import (
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
)

// refuseForeign refuses every option given on the command line that the
// command does not implement: neither one of commonOptions nor one of its
// own in commandOptions (the table its --help lists and docs/cli.md
// shows). An option is never accepted and ignored. (Only --database has
// an environment variable, and every command takes it.)
func refuseForeign(c *cli.Context) error {
	path := commandPath(c)
	if path == "" {
		return nil // no command yet (the app's Before): each command checks
	}
	own, known := commandOptions()[path]
	if !known {
		return nil // a command without a table entry fails TestCommandOptionsListed
	}
	for _, f := range c.App.Flags {
		name := f.Names()[0]
		if !c.IsSet(name) || slices.Contains(own, name) || slices.Contains(commonOptions(), name) {
			continue
		}
		var takers []string
		for p, names := range commandOptions() {
			if p != "" && slices.Contains(names, name) {
				takers = append(takers, p)
			}
		}
		slices.Sort(takers)
		err := cl.Usagef("the %s command does not take --%s", path, name)
		if why := refusalHints()[path+" --"+name]; why != "" {
			return cl.WithHint(err, why)
		}
		if len(takers) > 0 {
			return cl.WithHint(err, "--"+name+" is an option of: "+strings.Join(takers, ", "))
		}
		return err
	}
	return nil
}

// refusalHints say, for an option a command refuses, what to do instead
// when that is more than the list of commands that take it.
func refusalHints() map[string]string {
	return map[string]string{
		"run --noclean": "run deletes the run's record after taking it down; to keep a failed run, use --keep-on-failure",
		"run --dryrun":  "run boots a new run for real; for a dry run: cloudinitd boot --dryrun PLAN",
		"run --resume":  "run boots a new run; to continue an interrupted boot: cloudinitd boot --resume RUN",
	}
}

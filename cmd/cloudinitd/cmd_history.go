package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/iaas"
)

func historyCommand(env cl.Env) *cli.Command {
	return &cli.Command{
		Name: "history",
		Usage: "List every instance a run ever launched, with its service and its state as the cloud " +
			"reports it now; with -k, terminate those still running or pending.",
		UsageText: "cloudinitd history RUN [-k]",
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 1, "the name of a run"); err != nil {
				return err
			}
			o, err := optionsFrom(c, env)
			if err != nil {
				return err
			}
			return runHistory(c.Context, o, env, c.Args().First())
		},
	}
}

// runHistory lists the run's instances. Without -k it only reads: the
// record is opened without the run's lock (docs/record.md), so history
// works beside a boot in progress. -k terminates instances and records it,
// under the lock.
func runHistory(ctx context.Context, o options, env cl.Env, run string) error {
	open := openRunReadOnly
	if o.Kill {
		open = openRun
	}
	db, err := open(ctx, o, run)
	if err != nil {
		return err
	}
	defer db.Close()
	var entries []bootlevel.HistoryEntry
	histErr := withEngine(o, env, db, false, "history", func(e *bootlevel.Engine) (err error) {
		entries, err = e.History(ctx, o.Kill)
		return err
	})
	printHistory(env.Streams, entries)
	if histErr != nil {
		return explain(histErr, run)
	}
	return nil
}

// printHistory writes the history table: one instance per line.
func printHistory(st cl.IOStreams, entries []bootlevel.HistoryEntry) {
	w := tabwriter.NewWriter(st.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "INSTANCE\tSERVICE\tATTEMPT\tSTATE\tHOSTNAME\tNOTE")
	for _, h := range entries {
		state := h.State.String()
		if h.State == iaas.StateUnknown && h.Err != nil {
			state = "unknown"
		}
		var note string
		switch {
		case h.Killed:
			note = "terminated now"
		case h.Current:
			note = "current"
		case h.OtherRun != "":
			note = "another record's (" + h.OtherRun + "), left alone"
		case h.Owner != "":
			note = "owned by " + h.Owner + ", terminated with the run"
		case h.Unrecorded:
			note = "found in the cloud, not in the record"
		}
		if h.Err != nil {
			note = joinNote(note, h.Err.Error())
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\n", h.InstanceID, h.Service, h.Attempt, state, dash(h.Hostname), note)
	}
	w.Flush()
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

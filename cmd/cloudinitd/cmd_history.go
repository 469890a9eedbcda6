package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

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
		UsageText: "cloudinitd history RUN [-k] [-g KEY=VALUE]... [--json]",
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
	if o.JSON {
		env.Events.Disable() // stdout is one document, not an event stream
	}
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
	eo := o
	eo.JSON = false // --json is the result's form here; progress goes to stderr
	histErr := withEngine(eo, env, db, false, "history", func(e *bootlevel.Engine) (err error) {
		entries, err = e.History(ctx, o.Kill)
		return err
	})
	if o.JSON {
		if err := printHistoryJSON(env.Streams, run, entries); err != nil {
			return errors.Join(err, histErr)
		}
	} else {
		printHistory(env.Streams, entries)
	}
	if histErr != nil {
		return explain(histErr, run)
	}
	return nil
}

// printHistory writes the history table: one instance per line, in the
// order of bootlevel's History: by level, then service name (worker-2
// before worker-10), then attempt.
func printHistory(st cl.IOStreams, entries []bootlevel.HistoryEntry) {
	w := tabwriter.NewWriter(st.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "INSTANCE\tSERVICE\tATTEMPT\tSTATE\tHOSTNAME\tLEVEL\tLAUNCHED\tNOTE")
	for _, h := range entries {
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", h.InstanceID, h.Service, h.Attempt, historyState(h),
			dash(h.Hostname), levelText(h.Level), dash(stampText(h.Launched)), historyNote(h))
	}
	w.Flush()
}

// historyState is the cloud's state of the entry's instance now.
func historyState(h bootlevel.HistoryEntry) string {
	if h.State == iaas.StateUnknown && h.Err != nil {
		return "unknown"
	}
	return h.State.String()
}

// historyNote says what else there is to know about the entry.
func historyNote(h bootlevel.HistoryEntry) string {
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
	return note
}

// levelText is a level number, or - for none (an unrecorded instance of
// a service the record does not hold).
func levelText(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

// stampText is t in UTC to the second (RFC 3339), "" for a zero time.
func stampText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
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

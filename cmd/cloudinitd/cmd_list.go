package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/store"
)

func listCommand(env cl.Env) *cli.Command {
	return &cli.Command{
		Name: "list",
		Usage: "List the runs recorded in the database directory: state, age, plan, levels and live instances " +
			"(as the records say; no cloud is asked). -q: names only.",
		UsageText: "cloudinitd list [--json]",
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, "no arguments"); err != nil {
				return err
			}
			o, err := optionsFrom(c, env)
			if err != nil {
				return err
			}
			return runList(c.Context, o, env)
		},
	}
}

// listed is one run of 'list' (its --json form is documented in
// docs/cli.md).
type listed struct {
	Name    string    `json:"name"`
	State   string    `json:"state"`  // see runState
	Status  string    `json:"status"` // the record's run.status
	Created time.Time `json:"created"`
	AgeSec  int64     `json:"age_seconds"`
	Plan    string    `json:"plan"`
	Levels  int       `json:"levels"`
	// Live counts the services whose current instance the record holds
	// as launched and not terminated: the record's word, no cloud is asked
	// ('history RUN' asks).
	Live     int    `json:"live_instances"`
	LockedBy string `json:"locked_by,omitempty"` // the command holding the run's lock
	Error    string `json:"error,omitempty"`     // the record could not be read
}

// runList lists the runs of the record directory, in natural name order.
// It prints even with -q (names only then): the list is the command's
// result, not progress. It only reads the records, without their locks,
// so a boot in progress is listed too. An unreadable record is listed as
// such, said on stderr, and makes the exit status 1.
func runList(ctx context.Context, o options, env cl.Env) error {
	if o.JSON {
		env.Events.Disable() // stdout is one document, not an event stream
	}
	names, err := store.List(o.DBDir)
	if err != nil {
		return fmt.Errorf("list runs in %s: %w", o.DBDir, err)
	}
	slices.SortFunc(names, plan.CompareNames)
	if o.Verbosity == 0 && !o.JSON {
		for _, n := range names {
			fmt.Fprintln(env.Streams.Out, n)
		}
		return nil
	}
	now := time.Now()
	runs := make([]listed, 0, len(names))
	bad := 0
	for _, n := range names {
		r := listRun(ctx, o.DBDir, n, now)
		if r.Error != "" {
			bad++
			notice(env, "%s: warning: run %s: cannot read its record: %s", progName, n, r.Error)
		}
		runs = append(runs, r)
	}
	if o.JSON {
		enc := json.NewEncoder(env.Streams.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Dir  string   `json:"dir"`
			Runs []listed `json:"runs"`
		}{o.DBDir, runs}); err != nil {
			return err
		}
	} else if len(runs) > 0 {
		w := tabwriter.NewWriter(env.Streams.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "RUN\tSTATE\tAGE\tLEVELS\tLIVE\tPLAN")
		for _, r := range runs {
			if r.Error != "" {
				fmt.Fprintf(w, "%s\t%s\t-\t-\t-\t-\n", r.Name, r.State)
				continue
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%s\n", r.Name, r.State, age(time.Duration(r.AgeSec)*time.Second), r.Levels, r.Live, r.Plan)
		}
		w.Flush()
	}
	if bad > 0 {
		return fmt.Errorf("list runs in %s: %d %s could not be read", o.DBDir, bad, plural(bad, "record", "records"))
	}
	return nil
}

// listRun reads what list shows of one run.
func listRun(ctx context.Context, dir, name string, now time.Time) listed {
	l := listed{Name: name, State: "unreadable"}
	db, err := store.OpenReadOnly(ctx, dir, name)
	if err != nil {
		l.Error = err.Error()
		return l
	}
	defer db.Close()
	r, err := db.Run(ctx)
	if err == nil {
		var lv []store.Level
		lv, err = db.Levels(ctx)
		l.Levels = len(lv)
	}
	if err == nil {
		l.Live, err = liveInstances(ctx, db)
	}
	if err != nil {
		l.Error = err.Error()
		return l
	}
	info, held := store.LockHolder(dir, name)
	if held {
		l.LockedBy = info.Command
		if l.LockedBy == "" {
			l.LockedBy = "another process"
		}
	}
	l.Status, l.Plan, l.Created = string(r.Status), r.TopConf, r.Created.UTC()
	l.AgeSec = int64(now.Sub(r.Created).Seconds())
	l.State = runState(r.Status, held)
	return l
}

// runState is the state list shows for a record's status: booted, failed,
// interrupted (a boot, check or terminate stopped before it finished, or
// whose process died), terminated (record kept with -c), never booted, or
// booting / terminating while a process holds the run.
func runState(st store.RunStatus, held bool) string {
	switch st {
	case store.RunNew:
		return "never booted"
	case store.RunUp:
		return "booted"
	case store.RunBooting, store.RunTerminating:
		if held {
			return string(st)
		}
		return "interrupted"
	}
	return string(st) // failed, interrupted, terminated
}

// liveInstances counts the services whose current instance the record
// holds as launched and not terminated.
func liveInstances(ctx context.Context, db *store.DB) (int, error) {
	svcs, err := db.Services(ctx)
	if err != nil {
		return 0, err
	}
	hs, err := db.InstanceHistory(ctx)
	if err != nil {
		return 0, err
	}
	state := make(map[string]store.HistoryState, len(hs))
	for _, h := range hs {
		if h.InstanceID != "" {
			state[h.InstanceID] = h.State
		}
	}
	n := 0
	for _, s := range svcs {
		if s.InstanceID == "" || s.State == store.StateTerminated {
			continue
		}
		if st, ok := state[s.InstanceID]; ok && st != store.HistoryTerminated && st != store.HistoryFailed {
			n++
		}
	}
	return n, nil
}

// age is d for people: 45s, 12m, 5h, 3d.
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/store"
)

func logsCommand(env cl.Env) *cli.Command {
	return &cli.Command{
		Name: "logs",
		Usage: "Print a run's log and its services' logs (every command run on a host, its output, exit status " +
			"and the ready checks), or one service's; with -f, follow them while a boot runs.",
		UsageText: "cloudinitd logs RUN [SERVICE] [-f | --follow] [--logdir DIR]",
		Action: func(c *cli.Context) error {
			if c.NArg() < 1 || c.NArg() > 2 {
				return cl.Usagef("the logs command takes the name of a run and optionally a service; got %d arguments", c.NArg())
			}
			o, err := optionsFrom(c, env)
			if err != nil {
				return err
			}
			return runLogs(c.Context, o, env, c.Args().Get(0), c.Args().Get(1), c.Bool("follow"))
		},
	}
}

// logPollEvery is how often logs -f looks at the files and the record.
const logPollEvery = 200 * time.Millisecond

// runLogs prints the logs of run (or of its service svc). It only reads:
// the record is opened read-only, without the run's lock, so it works
// while a boot holds the run. With follow it prints what is added until
// the run's boot ends (its status leaves new and booting, or the process
// holding its lock is gone) or ctx ends.
func runLogs(ctx context.Context, o options, env cl.Env, run, svc string, follow bool) error {
	if o.LogDir == "-" {
		return cl.Usagef("logs reads the log files; -f - (--logdir -) keeps none")
	}
	db, err := openRunReadOnly(ctx, o, run)
	if err != nil {
		return err
	}
	defer db.Close()
	files, err := logFiles(ctx, o, db, svc)
	if err != nil {
		return err
	}
	p := &logPrinter{w: env.Streams.Out, headers: len(files) > 1}
	if !follow {
		for _, f := range files {
			p.whole(f + ".1") // rotated away
			p.whole(f)
		}
		if p.printed == 0 {
			notice(env, "%s: no logs of run %s in %s yet", progName, run, o.LogDir)
		}
		return nil
	}
	tails := make([]*logTail, len(files))
	for i, f := range files {
		tails[i] = &logTail{path: f}
	}
	t := time.NewTicker(logPollEvery)
	defer t.Stop()
	for {
		for _, tl := range tails {
			p.tail(tl)
		}
		if !booting(ctx, o, db) {
			for _, tl := range tails { // what was written last
				p.tail(tl)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return nil // Ctrl-C ends following; nothing failed
		case <-t.C:
		}
	}
}

// logFiles are the log files of run, or of its service svc: the run's own
// log first, then each service's in record order.
func logFiles(ctx context.Context, o options, db *store.DB, svc string) ([]string, error) {
	dir := filepath.Join(o.LogDir, db.Name())
	if svc != "" {
		if _, err := db.Service(ctx, svc); err != nil {
			if errors.Is(err, store.ErrNoService) {
				return nil, cl.WithHint(fmt.Errorf("run %s: service %q: %w", db.Name(), svc, store.ErrNoService),
					"'cloudinitd logs "+db.Name()+"' shows the logs of every service")
			}
			return nil, err
		}
		return []string{filepath.Join(dir, svc+".log")}, nil
	}
	ss, err := db.Services(ctx)
	if err != nil {
		return nil, err
	}
	files := []string{filepath.Join(o.LogDir, db.Name()+".log")}
	for _, s := range ss {
		files = append(files, filepath.Join(dir, s.Name+".log"))
	}
	return files, nil
}

// booting reports whether a boot of the run is still under way: its
// status is new or booting and a live process holds its lock.
func booting(ctx context.Context, o options, db *store.DB) bool {
	r, err := db.Run(ctx)
	if err != nil {
		return false // the record is gone (a run taken down): nothing more comes
	}
	if r.Status != store.RunNew && r.Status != store.RunBooting {
		return false
	}
	_, held := store.LockHeld(o.DBDir, db.Name())
	return held
}

// logExists reports whether path is a file that can be read.
func logExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// permute is cl.Permute, but after the logs command a bare -f is
// --follow, as in tail -f (the log directory is then --logdir DIR).
func permute(args []string, spec cl.FlagSpec) []string {
	follow := cl.FlagSpec{}
	for k, v := range spec {
		follow[k] = v
	}
	follow["f"] = false
	perm := cl.Permute(args, follow)
	if firstPositional(perm, follow) != "logs" {
		return cl.Permute(args, spec)
	}
	for i, a := range perm {
		if a == "--" {
			break
		}
		if a == "-f" {
			perm[i] = "--follow"
		}
	}
	return perm
}

// firstPositional is the first argument of permuted args that is neither
// a flag nor a flag's value: the command.
func firstPositional(args []string, spec cl.FlagSpec) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return ""
		case len(a) > 1 && a[0] == '-':
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && spec[name] {
				i++
			}
		default:
			return a
		}
	}
	return ""
}

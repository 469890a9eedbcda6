package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/drivers"
	"github.com/cloudinitd/cloudinitd/iaas/local"
	"github.com/cloudinitd/cloudinitd/store"
)

func pruneCommand(env cl.Env) *cli.Command {
	return &cli.Command{
		Name: "prune",
		Usage: "Remove what runs whose record is gone left on this machine: their logs (<logdir>/<run>.log, " +
			"<logdir>/<run>/) and their terminated local-driver instances and keys (<dir>/local). " +
			"Lists what it removes; --dry-run only lists.",
		UsageText: "cloudinitd prune [--dry-run]",
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, "no arguments"); err != nil {
				return err
			}
			o, err := optionsFrom(c, env)
			if err != nil {
				return err
			}
			return runPrune(c.Context, o, env)
		},
	}
}

// runPrune removes the leftovers of every run of o.DBDir whose record is
// gone, and prints one line per path on stdout (the command's result).
func runPrune(ctx context.Context, o options, env cl.Env) error {
	kept, err := recordedRuns(ctx, o.DBDir)
	if err != nil {
		return err
	}
	gone, err := pruneLeftovers(ctx, o, kept.has, nil)
	verb := "removed"
	if o.DryRun {
		verb = "would remove"
	}
	for _, p := range gone {
		fmt.Fprintf(env.Streams.Out, "%s %s (%s)\n", verb, p.Path, p.What)
	}
	if len(gone) == 0 && err == nil {
		progress(o, env, "nothing to prune in %s", o.DBDir)
	}
	return err
}

// runSet is the runs that have a record: full ids, and names for records
// that could not be read (kept by name, to be safe).
type runSet struct {
	ids   map[iaas.RunID]bool
	names map[string]bool
}

// has reports whether r belongs to a recorded run. An id without an
// incarnation (older instances) matches any record of its name.
func (s runSet) has(r iaas.RunID) bool {
	if s.names[r.Name] || s.ids[r] {
		return true
	}
	if r.Incarnation == "" {
		for id := range s.ids {
			if id.Name == r.Name {
				return true
			}
		}
	}
	return false
}

// recordedRuns reads the run ids of the records in dir.
func recordedRuns(ctx context.Context, dir string) (runSet, error) {
	s := runSet{ids: map[iaas.RunID]bool{}, names: map[string]bool{}}
	names, err := store.List(dir)
	if err != nil {
		return s, fmt.Errorf("list runs in %s: %w", dir, err)
	}
	for _, n := range names {
		s.names[n] = true // whatever its incarnation: its record exists
		db, err := store.OpenReadOnly(ctx, dir, n)
		if err != nil {
			continue
		}
		s.ids[iaas.RunID{Name: n, Incarnation: db.Incarnation()}] = true
		db.Close()
	}
	return s, nil
}

// pruned is one path prune removed.
type pruned struct{ Path, What string }

// pruneLeftovers removes the logs and the terminated local-driver
// instances of runs keep does not claim; only those of run when run is
// not nil (terminate). With o.DryRun nothing is removed.
func pruneLeftovers(ctx context.Context, o options, keep func(iaas.RunID) bool, run *iaas.RunID) ([]pruned, error) {
	if run != nil {
		only := *run
		inner := keep
		keep = func(r iaas.RunID) bool { // another run's, or another incarnation's
			other := only.Incarnation != "" && r.Incarnation != "" && r.Incarnation != only.Incarnation
			return r.Name != only.Name || other || inner(r)
		}
	}
	var out []pruned
	var errs []error
	if o.LogDir != "-" {
		logs, err := pruneLogs(o, keep, run)
		out, errs = append(out, logs...), append(errs, err)
	}
	stateDir := filepath.Join(o.DBDir, local.Name)
	if _, err := os.Stat(stateDir); err == nil {
		d, err := local.New(local.Config{StateDir: stateDir})
		if err != nil {
			return out, errors.Join(append(errs, err)...)
		}
		ps, err := d.Prune(ctx, keep, o.DryRun)
		for _, p := range ps {
			out = append(out, pruned{p.Path, fmt.Sprintf("run %s: local %s", p.Run.Name, p.What)})
		}
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// pruneLogs removes <logdir>/<run>.log (and its rotations) and the
// <logdir>/<run>/ directory of service logs of each run keep does not
// claim (by name: a log does not know its incarnation). A directory is a
// run's log directory only if it holds nothing but log files; a driver's
// state directory (local, fake) is never one.
func pruneLogs(o options, keep func(iaas.RunID) bool, run *iaas.RunID) ([]pruned, error) {
	entries, err := os.ReadDir(o.LogDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("prune logs in %s: %w", o.LogDir, err)
	}
	driverDirs := map[string]bool{}
	for _, n := range drivers.Registry().Names() {
		driverDirs[n] = true
	}
	var out []pruned
	var errs []error
	for _, e := range entries {
		name, what := e.Name(), "service logs"
		if !e.IsDir() {
			base, ok := strings.CutSuffix(strings.TrimSuffix(name, ".1"), ".log")
			if !ok || !e.Type().IsRegular() {
				continue
			}
			name, what = base, "run log"
		} else if driverDirs[name] || !onlyLogs(filepath.Join(o.LogDir, name)) {
			continue
		}
		if store.ValidateName(name) != nil || keep(iaas.RunID{Name: name}) || (run != nil && name != run.Name) {
			continue
		}
		// -f may name a directory that holds other programs' logs too:
		// there, only what is surely a run's log goes.
		if o.LogDir != o.DBDir && !isRunLog(filepath.Join(o.LogDir, name+".log"), name) {
			continue
		}
		p := filepath.Join(o.LogDir, e.Name())
		out = append(out, pruned{p, "run " + name + ": " + what})
		if !o.DryRun {
			errs = append(errs, os.RemoveAll(p))
		}
	}
	return out, errors.Join(errs...)
}

// isRunLog reports whether file is the run log of run: its first line
// is a log record of cloudinitd's run log (runLogger), for run.
func isRunLog(file, run string) bool {
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 4096)
	n, _ := io.ReadFull(f, b)
	line, _, _ := strings.Cut(string(b[:n]), "\n")
	return strings.HasPrefix(line, "time=") && strings.Contains(line, " run="+run+" ") ||
		strings.HasSuffix(line, " run="+run)
}

// onlyLogs reports whether dir holds nothing but regular *.log and
// *.log.N files.
func onlyLogs(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		n := e.Name()
		if i := strings.LastIndex(n, ".log"); !e.Type().IsRegular() || i < 0 || strings.Trim(n[i+4:], ".0123456789") != "" {
			return false
		}
	}
	return true
}

// neverBooted reports whether the run of db was recorded and never booted:
// its status is still new and no launch was ever asked for.
func neverBooted(ctx context.Context, db *store.DB) (bool, error) {
	r, err := db.Run(ctx)
	if err != nil || r.Status != store.RunNew {
		return false, err
	}
	hs, err := db.InstanceHistory(ctx)
	return len(hs) == 0, err
}

// pruneRun removes, after terminate deleted run's record (or found none),
// its logs and its terminated local-driver instances and key, and says
// what it removed; with --keep-logs it says where the logs are. A failure
// is a warning: the run is terminated all the same.
func pruneRun(ctx context.Context, o options, env cl.Env, run iaas.RunID) {
	if o.KeepLogs {
		if o.LogDir != "-" {
			progress(o, env, "Kept the logs of %s: %s and %s ('cloudinitd prune' removes them)", run.Name,
				filepath.Join(o.LogDir, run.Name+".log"), filepath.Join(o.LogDir, run.Name)+string(filepath.Separator))
		}
		return
	}
	none := func(iaas.RunID) bool { return false } // the run has no record now
	gone, err := pruneLeftovers(ctx, o, none, &run)
	for _, p := range gone {
		progress(o, env, "Removed %s (%s)", p.Path, p.What)
	}
	if err != nil {
		notice(env, "%s: warning: run %s is terminated, but removing what it left failed: %v", progName, run.Name, err)
	}
}

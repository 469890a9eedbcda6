package main

import (
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
)

// The global options of cloudinit.d (reference §3.1), with the same short
// and long names. They are accepted anywhere on the line.
func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "more output; repeat for more (-vvv)", Count: new(int)},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "only errors and results"},
		&cli.StringFlag{Name: "name", Aliases: []string{"n"}, Usage: "run `NAME` for boot and reload (default: 8 random hex characters)"},
		&cli.StringFlag{Name: "database", Aliases: []string{"d"}, Usage: "`DIR` holding the run records", Value: "~/.cloudinitd", EnvVars: []string{"CLOUDINITD_DB_DIR"}},
		&cli.StringFlag{Name: "logdir", Aliases: []string{"f"}, Usage: "`DIR` for log files; - logs to stderr (default: the database directory)"},
		&cli.StringFlag{Name: "loglevel", Aliases: []string{"l"}, Usage: "log file `LEVEL`: debug, info, warn or error", Value: "info"},
		&cli.BoolFlag{Name: "logstack", Aliases: []string{"s"}, Usage: "trace the entry and exit of every engine command, cloud call and remote operation to <logdir>/<run>/stacktrace.log"},
		&cli.StringFlag{Name: "outstream", Aliases: []string{"O"}, Usage: "copy every message for people, at full verbosity whatever -q or -v, to `FILE`"},
		&cli.BoolFlag{Name: "remotedebug", Aliases: []string{"X"}, Usage: "cloudinit.d's Python debugger: cloudinitd has none; accepted for old scripts with a warning"},
		&cli.BoolFlag{Name: "noclean", Aliases: []string{"c"}, Usage: "terminate and dry run: keep the run record"},
		&cli.BoolFlag{Name: "safeclean", Aliases: []string{"C"}, Usage: "terminate: keep the run record if anything failed (always the case now; accepted for old scripts)"},
		&cli.BoolFlag{Name: "kill", Aliases: []string{"k"}, Usage: "history: terminate instances still running"},
		&cli.BoolFlag{Name: "forget", Usage: "terminate: delete the record even when terminating failed (a cloud that is gone), warning which instances may be left"},
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the run document (JSON) to `FILE`"},
		&cli.StringSliceFlag{Name: "globalvar", Aliases: []string{"g"}, Usage: "global variable `KEY=VALUE` for ${global.KEY}; repeatable"},
		&cli.StringSliceFlag{Name: "globalvarfile", Aliases: []string{"G"}, Usage: "INI `FILE` with a [globals] section; repeatable"},
		&cli.BoolFlag{Name: "validate", Aliases: []string{"x"}, Usage: "validate the plan and the clouds before launching anything"},
		&cli.BoolFlag{Name: "json", Usage: "progress as NDJSON events on stdout (schema in docs/events.md)"},
		&cli.IntFlag{Name: "parallel", Usage: "at most `N` services of a level at once (0: no limit)"},
		&cli.BoolFlag{Name: "no-prelaunch", Usage: "boot: launch each level's instances when the level starts, not all up front"},
		&cli.BoolFlag{Name: "resume", Usage: "boot RUN: continue an interrupted boot from its record"},
		&cli.BoolFlag{Name: "version", Usage: "print the version (module version and VCS revision) and exit"},
		&cli.BoolFlag{Name: "help", Aliases: []string{"h"}, Usage: "show the usage of cloudinitd or of the command"},
		&cli.BoolFlag{Name: "dryrun", Aliases: []string{"y", "dry-run"}, Usage: "walk the plan on a simulated cloud without touching anything; prune: only list what it would remove"},
		&cli.BoolFlag{Name: "keep-logs", Usage: "terminate: keep the run's logs and local-driver leftovers ('cloudinitd prune' removes them later)"},
		&cli.BoolFlag{Name: "keep-on-failure", Usage: "run: keep the run when the boot or COMMAND fails, and say how to reach it and take it down"},
		&cli.DurationFlag{Name: "timeout", Usage: "run: stop after `DURATION` (boot and COMMAND), then take the run down; exit 124"},
		&cli.DurationFlag{Name: "grace", Usage: "run: after passing a stop signal to COMMAND, wait `DURATION` before killing it", Value: 10 * time.Second},
		&cli.BoolFlag{Name: "stale", Usage: "clean: take down the runs of the record directory whose 'run' process is gone"},
		&cli.BoolFlag{Name: "follow", Usage: "logs: follow the logs while the run's boot goes on (after logs, -f is --follow)"},
		&cli.DurationFlag{Name: "older-than", Usage: "clean --stale PLAN: also take down instances that 'run' started on the plan's clouds more than `DURATION` ago"},
	}
}

// options are the global options after checking.
type options struct {
	Verbosity   int // 0 quiet, 1 default, +1 per -v
	Name        string
	DBDir       string
	LogDir      string // "-" means stderr
	LogLevel    string
	LogStack    bool   // -s: <logdir>/<run>/stacktrace.log
	Outstream   string // -O FILE: the transcript
	RemoteDebug bool   // -X: a warning, nothing else
	NoClean     bool
	SafeClean   bool
	Forget      bool // terminate: delete the record even after a failure
	Kill        bool
	Output      string
	Globals     []string
	GlobalFiles []string
	Validate    bool
	DryRun      bool
	JSON        bool
	Parallel    int
	NoPrelaunch bool
	Resume      bool
	KeepLogs    bool // terminate: no pruning of the run's logs and local leftovers
	// run (docs/ci.md)
	KeepOnFailure bool
	Timeout       time.Duration // 0: none
	Grace         time.Duration
	// clean --stale
	Stale     bool
	OlderThan time.Duration
	SweepTags bool // --older-than was given
}

var logLevels = []string{"debug", "info", "warn", "error"}

// commandOnly refuses the flags names given to another command than cmd
// (an option a command would accept and ignore).
func commandOnly(c *cli.Context, cmd string, names ...string) error {
	path := commandPath(c)
	if path == "" || path == cmd {
		return nil
	}
	for _, n := range names {
		if c.IsSet(n) {
			return cl.Usagef("--%s is an option of the %s command, not of %s", n, cmd, path)
		}
	}
	return nil
}

// optionsFrom reads and checks the global options.
func optionsFrom(c *cli.Context, env cl.Env) (options, error) {
	root := c // flag lookups search the lineage up to the app's flags
	o := options{
		Verbosity:   1 + root.Count("verbose"),
		Name:        root.String("name"),
		DBDir:       env.ExpandHome(root.String("database")),
		LogDir:      root.String("logdir"),
		LogLevel:    root.String("loglevel"),
		LogStack:    root.Bool("logstack"),
		Outstream:   root.String("outstream"),
		RemoteDebug: root.Bool("remotedebug"),
		NoClean:     root.Bool("noclean"),
		SafeClean:   root.Bool("safeclean"),
		Forget:      root.Bool("forget"),
		Kill:        root.Bool("kill"),
		Output:      root.String("output"),
		Globals:     root.StringSlice("globalvar"),
		GlobalFiles: root.StringSlice("globalvarfile"),
		Validate:    root.Bool("validate"),
		DryRun:      root.Bool("dryrun"),
		JSON:        root.Bool("json"),
		Parallel:    root.Int("parallel"),
		NoPrelaunch: root.Bool("no-prelaunch"),
		Resume:      root.Bool("resume"),

		KeepLogs: root.Bool("keep-logs"),

		KeepOnFailure: root.Bool("keep-on-failure"),
		Timeout:       root.Duration("timeout"),
		Grace:         root.Duration("grace"),
		Stale:         root.Bool("stale"),
		OlderThan:     root.Duration("older-than"),
		SweepTags:     root.IsSet("older-than"),
	}
	if err := commandOnly(root, "run", "keep-on-failure", "timeout", "grace"); err != nil {
		return o, err
	}
	if err := commandOnly(root, "clean", "stale", "older-than"); err != nil {
		return o, err
	}
	if err := commandOnly(root, "logs", "follow"); err != nil {
		return o, err
	}
	if err := refuseForeign(root); err != nil {
		return o, err
	}
	switch {
	case o.Timeout < 0 || o.Grace < 0 || o.OlderThan < 0:
		return o, cl.Usagef("--timeout, --grace and --older-than take a duration of 0 or more (10s, 5m, 1h30m)")
	case o.SweepTags && !o.Stale:
		return o, cl.Usagef("--older-than goes with --stale: 'cloudinitd clean --stale --older-than DURATION PLAN'")
	}
	if o.Name == "" && root.IsSet("name") {
		return o, cl.Usagef("-n: a run name cannot be empty (leave -n out for a random name)")
	}
	if o.Forget && o.NoClean {
		return o, cl.Usagef("--forget deletes the record and -c (--noclean) keeps it: choose one")
	}
	if o.Forget && o.SafeClean {
		return o, cl.Usagef("--forget deletes the record of a run whose terminate failed and -C (--safeclean) keeps it: choose one")
	}
	if o.Parallel < 0 {
		return o, cl.Usagef("invalid --parallel %d: want 0 (no limit) or more", o.Parallel)
	}
	if root.Bool("quiet") {
		o.Verbosity = 0
	}
	if !slices.Contains(logLevels, o.LogLevel) {
		return o, cl.Usagef("invalid --loglevel %q: want one of debug, info, warn, error", o.LogLevel)
	}
	for _, g := range o.Globals {
		if k, _, ok := strings.Cut(g, "="); !ok || strings.TrimSpace(k) == "" {
			return o, cl.Usagef("invalid global variable %q: want KEY=VALUE", g)
		}
	}
	if o.LogDir == "" {
		o.LogDir = o.DBDir
	} else if o.LogDir != "-" {
		o.LogDir = env.ExpandHome(o.LogDir)
	}
	if o.Outstream != "" {
		o.Outstream = env.ExpandHome(o.Outstream)
	}
	for i, f := range o.GlobalFiles {
		o.GlobalFiles[i] = env.ExpandHome(f)
	}
	if o.DBDir != "" && !filepath.IsAbs(o.DBDir) {
		abs, err := filepath.Abs(o.DBDir)
		if err != nil {
			return o, err
		}
		o.DBDir = abs
	}
	return o, nil
}

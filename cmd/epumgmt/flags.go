package main

import (
	"github.com/urfave/cli/v2"
	"strconv"
	"strings"

	"github.com/cloudinitd/cloudinitd/epu/mgmt"
)

// flags are epumgmt's options: the original's spellings (reference §1.2)
// and this tool's own (--json, --force, --timeout, --runlogdir).
func flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "action", Aliases: []string{"a"}, Usage: "the `ACTION` (the original's spelling; a positional action wins)", Hidden: true},
		&cli.StringFlag{Name: "name", Aliases: []string{"n"}, Usage: "the cloudinitd run `NAME` (required)"},
		&cli.StringFlag{Name: "cloudinitdir", Aliases: []string{"C"}, Usage: "`DIR` holding cloudinitd's run records", Value: "~/.cloudinitd", EnvVars: []string{"CLOUDINITD_DB_DIR"}},
		&cli.StringFlag{Name: "runlogdir", Usage: "`DIR` for fetched logs and epumgmt's files, per run", Value: "~/.epumgmt/runlogs"},
		&cli.BoolFlag{Name: "json", Usage: "status, find-workers, fetchkill, reconfigure-n, autoscale: one JSON document on stdout"},
		&cli.BoolFlag{Name: "no-update", Usage: "status: print what the last status recorded; no remote call"},
		&cli.BoolFlag{Name: "no-fetch", Usage: "killrun: do not fetch logs first"},
		&cli.BoolFlag{Name: "force", Usage: "killrun: terminate through the drivers what the sweep finds alive, and the run even if a provisioner failed"},
		&cli.DurationFlag{Name: "timeout", Usage: "killrun: wait at most `DURATION` for each provisioner's terminate_all", Value: mgmt.DefaultTimeout},
		&cli.StringFlag{Name: "controller", Usage: "fetchkill, autoscale: the controller `SERVICE[/DOMAIN]` (or a domain name)"},
		&cli.StringFlag{Name: "killnum", Aliases: []string{"k"}, Usage: "fetchkill: kill `N` workers (N ≥ 1)"},
		&cli.StringFlag{Name: "instancecount", Usage: "autoscale: set the array's target to `N` nodes"},
		&cli.StringFlag{Name: "corecount", Usage: "autoscale: set the array's target to `N` cores"},
		&cli.StringFlag{Name: "array", Usage: "autoscale: the node `ARRAY` of the target (default: the domain's)"},
		&cli.StringFlag{Name: "newn", Usage: "reconfigure-n: new preserve_n values, `CONTROLLER:N[,CONTROLLER:N...]`"},
		&cli.StringFlag{Name: "conf", Aliases: []string{"c"}, Usage: "the original's main.conf `PATH`: epumgmt has none; accepted with a warning"},
		&cli.BoolFlag{Name: "version", Usage: "print the version and exit"},
	}
}

// options reads the command line into mgmt.Options, validated (nothing
// is opened before).
func options(c *cli.Context, action string) (mgmt.Options, error) {
	a, err := mgmt.ParseAction(action)
	if err != nil {
		return mgmt.Options{}, err
	}
	o := mgmt.Options{Action: a, Run: c.String("name"), JSON: c.Bool("json"), NoUpdate: c.Bool("no-update"),
		NoFetch: c.Bool("no-fetch"), Force: c.Bool("force"), Controller: c.String("controller"),
		Timeout: c.Duration("timeout")}
	if c.IsSet("killnum") {
		if o.KillNum, err = parseKillNum(c.String("killnum")); err != nil {
			return o, err
		}
	}
	for _, f := range []struct {
		name string
		dst  **int
	}{{"instancecount", &o.InstanceCount}, {"corecount", &o.CoreCount}} {
		if c.IsSet(f.name) {
			n, err := strconv.Atoi(strings.TrimSpace(c.String(f.name)))
			if err != nil || n < 0 {
				return o, usagef("--%s %q: want a whole number from 0", f.name, c.String(f.name))
			}
			*f.dst = &n
		}
	}
	o.Array = c.String("array")
	if c.IsSet("newn") {
		if o.NewN, err = mgmt.ParseNewN(c.String("newn")); err != nil {
			return o, err
		}
	}
	if o.Timeout <= 0 {
		return o, usagef("--timeout must be above 0 (30s, 5m)")
	}
	if err := refuseOthers(c, a); err != nil {
		return o, err
	}
	return o, o.Validate()
}

// actionFlags says which action-specific options each action takes;
// any other is refused rather than ignored.
func actionFlags() map[string][]mgmt.Action {
	return map[string][]mgmt.Action{
		"no-update":     {mgmt.ActionStatus},
		"no-fetch":      {mgmt.ActionKillRun},
		"force":         {mgmt.ActionKillRun},
		"timeout":       {mgmt.ActionKillRun},
		"controller":    {mgmt.ActionFetchKill, mgmt.ActionAutoscale},
		"instancecount": {mgmt.ActionAutoscale},
		"corecount":     {mgmt.ActionAutoscale},
		"array":         {mgmt.ActionAutoscale},
		"killnum":       {mgmt.ActionFetchKill},
		"newn":          {mgmt.ActionReconfigureN},
		"json":          {mgmt.ActionStatus, mgmt.ActionFindWorkers, mgmt.ActionFetchKill, mgmt.ActionReconfigureN, mgmt.ActionAutoscale},
	}
}

func refuseOthers(c *cli.Context, a mgmt.Action) error {
	takes := actionFlags()
	for _, name := range []string{"no-update", "no-fetch", "force", "timeout", "controller", "killnum", "newn", "json",
		"instancecount", "corecount", "array"} {
		if !c.IsSet(name) {
			continue
		}
		ok := false
		for _, x := range takes[name] {
			ok = ok || x == a
		}
		if !ok {
			return usagef("the %s action does not take --%s (it is for %s)", a, name, joinActions(takes[name]))
		}
	}
	return nil
}

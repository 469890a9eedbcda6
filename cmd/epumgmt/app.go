package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/epu/mgmt"
	"github.com/cloudinitd/cloudinitd/store"
)

const progName = "epumgmt"

// Main runs epumgmt with args (without the program name) and returns the
// exit code (cloudinitd's table, cl.ExitCode). Everything it needs comes
// from env.
func Main(ctx context.Context, args []string, env cl.Env) int {
	env = env.MaskStreams()
	app := newApp(env)
	var err error
	if wantsHelp(args, cl.FlagSpecOf(app.Flags)) {
		err = writeHelp(env.Streams.Out)
	} else {
		err = app.RunContext(ctx, append([]string{progName}, cl.Permute(args, cl.FlagSpecOf(app.Flags))...))
	}
	err = explain(err)
	cl.PrintError(env.Streams.Err, progName, err)
	return cl.ExitCode(err)
}

func newApp(env cl.Env) *cli.App {
	return &cli.App{
		Name:                   progName,
		HideVersion:            true,
		HideHelp:               true,
		HideHelpCommand:        true,
		Flags:                  flags(),
		Writer:                 env.Streams.Out,
		ErrWriter:              env.Streams.Err,
		UseShortOptionHandling: true,
		ExitErrHandler:         func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return cl.Usagef("%v", err)
		},
		Action: func(c *cli.Context) error {
			if c.Bool("version") {
				_, err := fmt.Fprintf(env.Streams.Out, "%s %s\n", progName, version())
				return err
			}
			action := c.String("action")
			switch c.NArg() {
			case 0:
			case 1:
				action = c.Args().First() // a positional action wins over -a
			default:
				return usagef("one action, not %q", strings.Join(c.Args().Slice(), " "))
			}
			o, err := options(c, action)
			if err != nil {
				return err
			}
			if c.IsSet("conf") {
				fmt.Fprintf(env.Streams.Err, "%s: warning: -c/--conf: epumgmt has no main.conf (its settings are options: -C, --runlogdir); %s is not read\n",
					progName, c.String("conf"))
			}
			m, closeFn, err := newManager(env, c.String("cloudinitdir"), c.String("runlogdir"), o.Run)
			if err != nil {
				return err
			}
			defer closeFn()
			return m.Do(c.Context, o)
		},
	}
}

// explain turns the library's error classes into what the CLI shows: a
// usage error (exit 2), hints.
func explain(err error) error {
	var ke *mgmt.KillError
	var se *mgmt.SurvivorsError
	var ce *mgmt.CtlError
	var ue2 *mgmt.UnreachableError
	var ue *cl.UsageError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mgmt.ErrUsage):
		return cl.WithHint(cl.Usagef("%s", strings.TrimPrefix(err.Error(), mgmt.ErrUsage.Error()+": ")), usageHint)
	case errors.As(err, &ue):
		return cl.WithHint(err, usageHint)
	case errors.Is(err, store.ErrNoRun):
		return cl.WithHint(err, "'cloudinitd list' shows the runs recorded in the directory of -C (default ~/.cloudinitd); nothing was touched")
	case errors.Is(err, store.ErrLocked):
		return cl.WithHint(err, "another cloudinitd is working on this run; wait for it to finish")
	case errors.As(err, &ke):
		return cl.WithHint(err, "make sure these workers are terminated: see the provisioner's logs fetched under --runlogdir",
			"'epumgmt killrun -n "+ke.Run+" --force' terminates them through the drivers and takes the run down anyway")
	case errors.As(err, &se):
		return cl.WithHint(err, "'epumgmt killrun -n "+se.Run+" --force' terminates them through the drivers and sweeps again")
	case errors.As(err, &ue2):
		return cl.WithHint(err, "'cloudinitd status "+ue2.Run+"' checks the services' hosts and programs; 'cloudinitd ssh "+ue2.Run+" SERVICE' reaches a host; the daemon's logs are in its state directory ("+mgmt.AttrStateDir+" in its bootout.json)")
	case errors.As(err, &ce):
		return cl.WithHint(err, "'cloudinitd ssh RUN "+ce.Service+"' reaches the host; the daemon's logs are in its state directory ("+mgmt.AttrStateDir+" in its bootout.json)")
	}
	return err
}

const usageHint = "run 'epumgmt --help' for usage"

// wantsHelp reports whether -h or --help is among args (outside option
// values, before any "--").
func wantsHelp(args []string, spec cl.FlagSpec) bool {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return false
		case a == "-h" || a == "--help":
			return true
		case strings.HasPrefix(a, "--"):
			if name := a[2:]; !strings.Contains(name, "=") && spec[name] {
				i++
			}
		case strings.HasPrefix(a, "-") && len(a) == 2 && spec[a[1:]]:
			i++
		}
	}
	return false
}

func usagef(format string, args ...any) error { return cl.Usagef(format, args...) }

// parseKillNum reads --killnum: a whole number from 1.
func parseKillNum(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 {
		return 0, usagef("--killnum (-k) %q: want a whole number from 1", s)
	}
	return n, nil
}

func joinActions(as []mgmt.Action) string {
	var s []string
	for _, a := range as {
		s = append(s, string(a))
	}
	return strings.Join(s, ", ")
}

// writeHelp writes the usage: actions, options, exit codes.
func writeHelp(w io.Writer) error {
	var b strings.Builder
	b.WriteString(`Usage: epumgmt [options] ACTION -n RUN [options]

Inspect and tear down the EPU system (provisioners, controllers and their
workers) of a cloudinitd run. Options may come before or after the action;
the action may also be given with -a ACTION (a positional action wins).

ACTIONS:
   status (inspect)   the base system and, per controller and domain, the engine
                      state and every worker; --json: one document; --no-update:
                      the last status recorded, no remote call
   find-workers       fetch the provisioners' logs and list the workers their
                      events name
   logfetch           copy the EPU daemons' logs into <runlogdir>/<run>/<instance>/
   killrun (killall)  verified teardown: logs, terminate_all on every provisioner
                      (waiting until none can remain), the run terminated as
                      'cloudinitd terminate' does with its record kept, then a sweep
                      of every cloud for the run's instances; exits 1 naming any
                      survivor (--force terminates them). Again on a dead run: sweeps
   fetchkill          kill --killnum workers of --controller (its provisioner
                      terminates them; the controller replaces them)
   reconfigure-n      set preserve_n: --newn CONTROLLER:N[,CONTROLLER:N...]
   enable             enable provisioning again after a terminate_all
   autoscale          a domain's node arrays (autoscale engine) of --controller;
                      --instancecount N or --corecount N [--array A] sets a target

OPTIONS:
`)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, f := range flags() {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		fmt.Fprintf(tw, "   %s\n", strings.Replace(f.String(), " (default: false)", "", 1))
	}
	tw.Flush()
	b.WriteString(`
EXIT STATUS:
   0    the action did what was asked (a killrun: nothing of the run is left)
   1    the operation failed: no such run, a daemon not reachable, workers
        or instances still alive (each named), a cloud not searched
   2    usage: unknown action or option, missing -n, bad --killnum or --newn
   130  interrupted (Ctrl-C, SIGTERM, SIGHUP)

See docs/epumgmt.md (the original's exit codes mapped, what differs and why).
`)
	_, err := io.WriteString(w, b.String())
	return err
}

package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
)

const progName = "cloudinitd"

// Main runs cloudinitd with args (without the program name) and returns the
// exit code. Everything it needs comes from env.
// With -O FILE, env.Transcript receives a copy of what is said to people
// (see cl.Transcript); it is opened once the options are read and closed
// here, after the error, if any, was written to it too.
func Main(ctx context.Context, args []string, env cl.Env) int {
	if len(args) > 0 && args[0] == epuName {
		return epuMain(ctx, args[1:], env) // epu.go: not cloudinitd's options
	}
	if env.Transcript == nil {
		env.Transcript = &cl.Transcript{}
	}
	// Hints and help name the program as it was invoked.
	env.Streams.Err = cl.InvokedAs(env.Streams.Err, env.Prog)
	env = env.MaskStreams()
	env.Streams.Out = io.MultiWriter(env.Streams.Out, env.Transcript.Results())
	env.Events = &cl.JSONObserver{W: env.Streams.Out}
	app := newApp(env)
	var err error
	if words, ok := helpWords(args, cl.FlagSpecOf(app.Flags)); ok {
		// --help anywhere: the help of the command named, as 'help' does.
		err = writeHelp(cl.InvokedAs(env.Streams.Out, env.Prog), app, words)
	} else {
		err = app.RunContext(ctx, append([]string{progName}, permute(args, cl.FlagSpecOf(app.Flags))...))
	}
	if env.Events.Enabled() {
		env.Events.Result(time.Now(), err) // the stream's last event
	}
	cl.PrintError(io.MultiWriter(env.Streams.Err, env.Transcript), progName, err)
	if cerr := env.Transcript.Close(); cerr != nil {
		cl.PrintError(env.Streams.Err, progName, cerr)
		if err == nil {
			err = cerr
		}
	}
	return cl.ExitCode(err)
}

func newApp(env cl.Env) *cli.App {
	app := &cli.App{
		Name:      progName,
		Usage:     "Bring up systems of services on clouds, level by level, and take them down again",
		UsageText: "cloudinitd [options] <command> [<launch plan> | <run name>] [options]",
		// -v is --verbose, as in cloudinit.d, so the library's -v/--version
		// flag is replaced by a plain --version below.
		HideVersion: true,
		// Help is ours (help.go): wrapped to 100 columns, each command
		// with the options that apply to it.
		HideHelp: true,
		Description: "Options may come before or after the command and its arguments.\n\n" +
			"EXIT STATUS:\n" +
			"   0    the command did what was asked\n" +
			"   1    the operation failed (a service, a cloud call, a file)\n" +
			"   2    usage: unknown command or option, missing or extra argument\n" +
			"   3    the launch plan is invalid or failed -x; nothing was started\n" +
			"   130  interrupted (Ctrl-C, SIGTERM, SIGHUP, closed output)\n" +
			"   run exits with its COMMAND's status, 124 (--timeout), 126/127 (COMMAND not\n" +
			"        executable/found), 128+N (stopped by signal N): docs/ci.md\n\n" +
			"See docs/cli.md, 'cloudinitd man' and 'cloudinitd completion bash|zsh|fish'.",
		Flags:                  globalFlags(),
		Writer:                 env.Streams.Out,
		ErrWriter:              env.Streams.Err,
		UseShortOptionHandling: true,
		HideHelpCommand:        true,
		// The library must never exit the process: main alone does.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return cl.Usagef("%v", err)
		},
		Before: func(c *cli.Context) error {
			o, err := optionsFrom(c, env)
			if err != nil {
				return err
			}
			if o.JSON {
				env.Events.Enable()
			}
			if o.Outstream != "" {
				// NDJSON events on stdout are not for people: not copied.
				if err := env.Transcript.Open(o.Outstream, !o.JSON); err != nil {
					return err
				}
			}
			if o.RemoteDebug {
				warn(env, "-X (--remotedebug) attached cloudinit.d's Python debugger; cloudinitd has none and goes on without it (for diagnostics: -l debug, -s)")
			}
			return nil
		},
		Commands: commands(env),
		Action: func(c *cli.Context) error {
			if c.Bool("version") {
				_, err := fmt.Fprintf(env.Streams.Out, "%s %s\n", progName, buildVersion())
				return err
			}
			if c.Args().Present() {
				return unknownCommand(c.Args().First(), c.Args().First(), c.App.Commands)
			}
			writeAppHelp(cl.InvokedAs(env.Streams.Out, env.Prog), c.App)
			return nil
		},
	}
	return app
}

// commands lists every registered command. Only commands that work are here.
func commands(env cl.Env) []*cli.Command {
	cmds := []*cli.Command{
		bootCommand(env),
		ciCommand(env),
		statusCommand(env),
		repairCommand(env),
		rebootCommand(env),
		terminateCommand(env),
		historyCommand(env),
		cleanCommand(env),
		reloadCommand(env),
		hostkeyCommand(env),
		listCommand(env),
		pruneCommand(env),
		logsCommand(env),
		sshCommand(env),
		commandsCommand(env),
		planCommand(env),
		helpCommand(env),
		completionCommand(env),
		manCommand(env),
		epuCommand(env),
	}
	hideHelp(cmds)
	return cmds
}

// commandPath is the command's name as typed: "plan show".
func commandPath(c *cli.Context) string {
	var names []string
	for _, x := range c.Lineage() {
		if x.Command != nil && x.Command.Name != "" && x.Command.Name != progName {
			names = append([]string{x.Command.Name}, names...)
		}
	}
	return strings.Join(names, " ")
}

// needArgs checks that a command got exactly n positional arguments.
func needArgs(c *cli.Context, n int, what string) error {
	if c.NArg() < n {
		return cl.Usagef("the %s command requires %s", commandPath(c), what)
	}
	if c.NArg() > n {
		return cl.Usagef("the %s command takes %s; unexpected %q", commandPath(c), what, c.Args().Get(n))
	}
	return nil
}

// hideHelp removes the library's "help" subcommand and --help flag from
// every command: 'cloudinitd help' and the global --help are ours.
func hideHelp(cmds []*cli.Command) {
	for _, c := range cmds {
		c.HideHelpCommand = true
		c.HideHelp = true
		hideHelp(c.Subcommands)
	}
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
)

// The epu program is a second name of this binary (docs/epu.md): invoked
// as "epu" (a symlink, argv[0]) or as "cloudinitd epu", it runs the
// elastic layer's daemons and their client instead of cloudinitd.
const epuName = "epu"

// epuArgs reports whether a process invoked as prog with args (without the
// program name) is the epu program, and epu's arguments.
func epuArgs(prog string, args []string) ([]string, bool) {
	if prog == epuName {
		return args, true
	}
	if len(args) > 0 && args[0] == epuName {
		return args[1:], true
	}
	return nil, false
}

// epuProcess runs the epu program as the whole process: the daemons stop
// on SIGTERM or SIGINT (a drain; exit 0; daemonSignalContext) and ignore
// SIGHUP, as daemons started with nohup do; ctl stops like cloudinitd's
// commands.
func epuProcess(args []string, env cl.Env) int {
	ctx := context.Background()
	switch sub := firstWord(args); sub {
	case "provisioner", "controller", "agent":
		signal.Ignore(syscall.SIGHUP)
		var stop func()
		ctx, stop = daemonSignalContext(ctx)
		defer stop()
	default:
		var stop func()
		ctx, stop = cl.SignalContext(ctx, env.Streams.Err, epuName, "stopping", env.Signals)
		defer stop()
	}
	return epuMain(ctx, args, env)
}

// epuMain runs epu with args (without the program name) and returns the
// exit code, from cloudinitd's one table (cl.ExitCode). Errors are said
// as "epu: error: ..." on stderr.
func epuMain(ctx context.Context, args []string, env cl.Env) int {
	env = env.MaskStreams()
	self := epuName
	if env.Prog != epuName {
		self = cl.Name + " " + epuName
	}
	err := runEpu(ctx, args, env, self)
	cl.PrintError(env.Streams.Err, epuName, err)
	return cl.ExitCode(err)
}

func runEpu(ctx context.Context, args []string, env cl.Env, self string) error {
	sub := firstWord(args)
	if sub == "" || isHelpFlag(sub) {
		if len(args) == 0 {
			writeEpuHelp(env.Streams.Err, self)
			return epuUsage(self, "missing subcommand: provisioner, controller, ctl, agent, node or help")
		}
		writeEpuHelp(env.Streams.Out, self)
		return nil
	}
	rest := args[1:]
	switch sub {
	case "help":
		return epuHelpCommand(env.Streams.Out, self, rest)
	case "provisioner", "controller":
		if wantsHelp(rest) {
			writeEpuDaemonHelp(env.Streams.Out, self, sub)
			return nil
		}
		return runDaemonCommand(ctx, env, self, sub, rest)
	case "ctl":
		if wantsHelp(rest) {
			writeCtlHelp(env.Streams.Out, self)
			return nil
		}
		return runCtl(ctx, env, self, rest)
	case "agent":
		if wantsHelp(rest) {
			writeAgentHelp(env.Streams.Out, self)
			return nil
		}
		return runAgentCommand(ctx, self, rest)
	case "node":
		if wantsHelp(rest) {
			writeNodeHelp(env.Streams.Out, self)
			return nil
		}
		return runNode(ctx, env, self, rest)
	}
	err := epuUsage(self, "unknown subcommand %q", sub)
	if s := cl.Suggest(sub, epuSubcommands); s != "" {
		return cl.WithHint(err, fmt.Sprintf("did you mean %q?", s), "run '"+self+" help' for usage")
	}
	return err
}

// epuSubcommands are the words after "epu".
var epuSubcommands = []string{"provisioner", "controller", "ctl", "agent", "node", "help"}

// epuUsage is a usage error (exit 2) whose hint names epu's help.
func epuUsage(self, format string, args ...any) error {
	return cl.WithHint(cl.Usagef(format, args...), "run '"+self+" help' for usage")
}

func firstWord(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

func isHelpFlag(a string) bool { return a == "-h" || a == "--help" }

// wantsHelp reports whether -h or --help comes before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if isHelpFlag(a) {
			return true
		}
	}
	return false
}

// parseEpuFlags parses args (flags anywhere, as cloudinitd's: cl.Permute)
// into fs and returns the positional arguments. A mistake is a usage error
// naming the subcommand.
func parseEpuFlags(fs *flag.FlagSet, self, sub string, args []string) ([]string, error) {
	spec := cl.FlagSpec{}
	fs.VisitAll(func(f *flag.Flag) {
		b, isBool := f.Value.(interface{ IsBoolFlag() bool })
		spec[f.Name] = !(isBool && b.IsBoolFlag())
	})
	fs.SetOutput(io.Discard)
	if err := fs.Parse(cl.Permute(args, spec)); err != nil {
		return nil, epuUsage(self, "%s %s: %s", self, sub, strings.TrimPrefix(err.Error(), "flag provided but not defined: "))
	}
	return fs.Args(), nil
}

// epuCommand is the entry of epu in cloudinitd's commands: listed in the
// help, reached only when "epu" is not the first word (cloudinitd's
// options do not apply to epu).
func epuCommand(cl.Env) *cli.Command {
	return &cli.Command{
		Name:            epuName,
		Usage:           "The elastic layer's program: the provisioner and controller daemons and their client, ctl (docs/epu.md). 'cloudinitd epu help' lists its subcommands.",
		UsageText:       "cloudinitd epu provisioner|controller --config FILE [--log FILE]\ncloudinitd epu ctl [--state-dir DIR] CALL [ARGS]",
		SkipFlagParsing: true,
		Action: func(*cli.Context) error {
			return cl.WithHint(cl.Usagef("epu must be the first word: cloudinitd epu SUBCOMMAND ... (cloudinitd's options do not apply to it)"),
				"run 'cloudinitd epu help' for its usage")
		},
	}
}

package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
)

// helpWidth is the width help text is wrapped to.
const helpWidth = 100

// helpWords reports whether args (a command line without the program
// name) asks for help with -h or --help before any "--", and the
// positional words of args: the command they ask about.
func helpWords(args []string, spec cl.FlagSpec) (words []string, help bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return words, help
		case a == "-h" || a == "--help":
			help = true
		case strings.HasPrefix(a, "--"):
			if name := a[2:]; !strings.Contains(name, "=") && spec[name] {
				i++
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j, c := range a[1:] {
				if c == 'h' {
					help = true
				}
				if spec[string(c)] {
					if j == len(a)-2 {
						i++ // the value is the next word
					}
					break
				}
			}
		default:
			words = append(words, a)
		}
	}
	return words, help
}

// commonOptions are the options every command takes (logging, output for
// people, the record directory).
func commonOptions() []string {
	return []string{"verbose", "quiet", "database", "logdir", "loglevel", "logstack", "outstream", "remotedebug", "help"}
}

// engineOptions are the options of every command that runs the engine on
// a recorded run.
func engineOptions() []string { return []string{"json", "parallel", "globalvar"} }

// commandOptions are the options each command (by its path, "plan show")
// reads besides commonOptions: what its --help lists, and all that it
// accepts (refuseForeign refuses any other, exit 2).
func commandOptions() map[string][]string {
	eng := engineOptions()
	return map[string][]string{
		"boot": append([]string{"name", "validate", "dryrun", "noclean", "output", "no-prelaunch", "resume", "globalvarfile"}, eng...),
		"run": append([]string{"name", "output", "no-prelaunch", "globalvarfile", "keep-on-failure", "timeout", "grace"},
			eng...),
		"status":         append([]string{"output"}, eng...),
		"repair":         append([]string{"output"}, eng...),
		"reboot":         append([]string{"output"}, eng...),
		"terminate":      append([]string{"noclean", "safeclean", "forget", "keep-logs"}, eng...),
		"history":        {"kill", "json", "globalvar"},
		"clean":          {"stale", "older-than", "json", "globalvar"},
		"reload":         {"name", "validate", "globalvar", "globalvarfile"},
		"hostkey forget": nil,
		"list":           {"json"},
		"prune":          {"dryrun"},
		"logs":           {"follow"},
		"ssh":            {"globalvar"},
		"commands":       nil,
		"help":           nil,
		"completion":     nil,
		"man":            nil,
		"epu":            nil,
		"plan validate":  {"globalvar", "globalvarfile"},
		"plan show":      {"globalvar", "globalvarfile", "json"},
		"plan graph":     {"globalvar", "globalvarfile"},
		"":               {"version"},
	}
}

// helpCommand is 'cloudinitd help [COMMAND [SUBCOMMAND]]'.
func helpCommand(env cl.Env) *cli.Command {
	return &cli.Command{
		Name:      "help",
		Usage:     "Show the usage of cloudinitd or of one command and the options that apply to it.",
		UsageText: "cloudinitd help [COMMAND [SUBCOMMAND]]",
		Action: func(c *cli.Context) error {
			return writeHelp(cl.InvokedAs(env.Streams.Out, env.Prog), c.App, c.Args().Slice())
		},
	}
}

// writeHelp writes the help of the command named by words (the program's
// when there are none); an unknown command is a usage error with a
// suggestion.
func writeHelp(w io.Writer, app *cli.App, words []string) error {
	cmds := app.Commands
	var path []string
	var cmd *cli.Command
	for _, word := range words {
		if cmd != nil && len(cmd.Subcommands) == 0 {
			break // the rest are the command's arguments
		}
		next := findCommand(cmds, word)
		if next == nil {
			return unknownCommand(strings.Join(append(path, word), " "), word, cmds)
		}
		cmd, cmds, path = next, next.Subcommands, append(path, word)
	}
	if cmd == nil {
		writeAppHelp(w, app)
	} else {
		writeCommandHelp(w, app, strings.Join(path, " "), cmd)
	}
	return nil
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// unknownCommand is the usage error for a command name not in cmds, with
// the nearest name when one is near.
func unknownCommand(what, word string, cmds []*cli.Command) error {
	var names []string
	for _, c := range cmds {
		if !c.Hidden {
			names = append(names, c.Name)
		}
	}
	err := cl.Usagef("unknown command %q", what)
	if s := cl.Suggest(word, names); s != "" {
		return cl.WithHint(err, fmt.Sprintf("did you mean %q?", strings.TrimSuffix(what, word)+s))
	}
	return cl.WithHint(err, fmt.Sprintf("the commands are: %s", strings.Join(names, ", ")))
}

// subcommandAction is the Action of a command with subcommands, reached
// when the first argument is none of them.
func subcommandAction(c *cli.Context) error {
	if !c.Args().Present() {
		var names []string
		for _, s := range c.Command.Subcommands {
			names = append(names, s.Name)
		}
		return cl.Usagef("the %s command needs a subcommand: %s", commandPath(c), strings.Join(names, ", "))
	}
	word := c.Args().First()
	return unknownCommand(commandPath(c)+" "+word, word, c.Command.Subcommands)
}

func writeAppHelp(w io.Writer, app *cli.App) {
	fmt.Fprintf(w, "Usage: %s\n\n", app.UsageText)
	writeWrapped(w, "", app.Usage+".")
	fmt.Fprintln(w, "\nCommands:")
	var rows [][2]string
	for _, c := range app.Commands {
		if c.Hidden {
			continue
		}
		rows = append(rows, [2]string{c.Name, c.Usage})
	}
	writeTable(w, rows, 12)
	fmt.Fprintf(w, "\nOptions of every command ('%s help COMMAND' lists the options of each):\n", app.Name)
	writeTable(w, flagRows(app.Flags, append(commonOptions(), "version")), 26)
	fmt.Fprintf(w, "\n%s\n", app.Description)
}

func writeCommandHelp(w io.Writer, app *cli.App, path string, cmd *cli.Command) {
	if path == epuName {
		writeEpuHelp(w, cl.Name+" "+epuName) // epu has its own options
		return
	}
	usage := cmd.UsageText
	if usage == "" {
		usage = app.Name + " " + path + " SUBCOMMAND"
	}
	for i, line := range strings.Split(usage, "\n") {
		lead := "Usage: "
		if i > 0 {
			lead = "       "
		}
		for j, l := range wrap(line, helpWidth-len(lead)-4) {
			if j > 0 {
				lead = "           "
			}
			fmt.Fprintf(w, "%s%s\n", lead, l)
		}
	}
	fmt.Fprintln(w)
	writeWrapped(w, "", cmd.Usage)
	if len(cmd.Subcommands) > 0 {
		fmt.Fprintln(w, "\nSubcommands:")
		var rows [][2]string
		for _, s := range cmd.Subcommands {
			rows = append(rows, [2]string{s.Name, s.Usage})
		}
		writeTable(w, rows, 12)
		fmt.Fprintf(w, "\n'%s help %s SUBCOMMAND' shows the options of each.\n", app.Name, path)
		return
	}
	if own := commandOptions()[path]; len(own) > 0 {
		fmt.Fprintln(w, "\nOptions:")
		writeTable(w, flagRows(app.Flags, own), 26)
	}
	fmt.Fprintln(w, "\nCommon options (before or after the command):")
	writeTable(w, flagRows(app.Flags, commonOptions()), 26)
}

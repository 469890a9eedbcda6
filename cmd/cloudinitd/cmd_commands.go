package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
)

func commandsCommand(env cl.Env) *cli.Command {
	return &cli.Command{
		Name:      "commands",
		Usage:     "Print every command with a short description.",
		UsageText: "cloudinitd commands",
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, "no arguments"); err != nil {
				return err
			}
			printCommands(env.Streams, "", c.App.Commands)
			return nil
		},
	}
}

// printCommands writes each command and subcommand with its usage wrapped
// at about 60 columns, as cloudinit.d's commands did.
func printCommands(s cl.IOStreams, prefix string, cmds []*cli.Command) {
	for _, c := range cmds {
		if c.Hidden {
			continue
		}
		name := strings.TrimSpace(prefix + " " + c.Name)
		if len(c.Subcommands) > 0 {
			printCommands(s, name, c.Subcommands)
			continue
		}
		fmt.Fprintln(s.Out, name)
		for _, l := range wrap(c.Usage, 60) {
			fmt.Fprintf(s.Out, "    %s\n", l)
		}
		fmt.Fprintln(s.Out)
	}
}

// wrap breaks text into lines of at most width columns at spaces.
func wrap(text string, width int) []string {
	var lines []string
	var cur strings.Builder
	for _, w := range strings.Fields(text) {
		if cur.Len() > 0 && cur.Len()+1+len(w) > width {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(w)
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// The option tables of the help: each flag's synopsis and usage, and the
// wrapped two-column layout (help.go writes the pages).

// flagRows are the option names and usage of the flags named in names, in
// the order of flags.
func flagRows(flags []cli.Flag, names []string) [][2]string {
	var rows [][2]string
	for _, f := range flags {
		if !slices.Contains(names, f.Names()[0]) {
			continue
		}
		rows = append(rows, [2]string{flagSynopsis(f), flagUsage(f)})
	}
	return rows
}

// flagSynopsis is "-n, --name NAME".
func flagSynopsis(f cli.Flag) string {
	var value string
	if d, ok := f.(cli.DocGenerationFlag); ok && d.TakesValue() {
		if value, _ = unquoteUsage(d.GetUsage()); value == "" {
			value = "VALUE"
		}
	}
	names := f.Names()
	var parts []string
	for _, n := range names[1:] {
		parts = append(parts, flagDash(n))
	}
	parts = append(parts, flagDash(names[0]))
	s := strings.Join(parts, ", ")
	if len(names) == 1 {
		s = "    " + s
	}
	if value != "" {
		s += " " + value
	}
	return s
}

func flagDash(n string) string {
	if len(n) == 1 {
		return "-" + n
	}
	return "--" + n
}

// flagUsage is the flag's usage with its default value, if it has one
// worth saying.
func flagUsage(f cli.Flag) string {
	d, ok := f.(cli.DocGenerationFlag)
	if !ok {
		return ""
	}
	_, usage := unquoteUsage(d.GetUsage())
	if d.TakesValue() {
		if def := d.GetDefaultText(); def != "" && def != "0" && def != "0s" && def != `""` && !strings.Contains(usage, "default") {
			usage += " (default " + def + ")"
		}
	}
	if e := d.GetEnvVars(); len(e) > 0 {
		usage += " [$" + strings.Join(e, ", $") + "]"
	}
	return usage
}

// writeTable writes rows as two columns, the second wrapped to helpWidth
// and starting at column col+2 (or on the next line when the first is
// wider).
func writeTable(w io.Writer, rows [][2]string, col int) {
	pad := strings.Repeat(" ", col+2)
	for _, r := range rows {
		lines := wrap(r[1], helpWidth-len(pad))
		left := "  " + r[0]
		if len(left)+2 > len(pad) && len(lines) > 0 {
			fmt.Fprintln(w, left)
			left = ""
		}
		for i, l := range lines {
			if i == 0 && left != "" {
				fmt.Fprintf(w, "%-*s%s\n", len(pad), left, l)
				continue
			}
			fmt.Fprintf(w, "%s%s\n", pad, l)
		}
		if len(lines) == 0 {
			fmt.Fprintln(w, left)
		}
	}
}

// writeWrapped writes text wrapped to helpWidth, each line after indent.
func writeWrapped(w io.Writer, indent, text string) {
	for _, l := range wrap(text, helpWidth-len(indent)) {
		fmt.Fprintf(w, "%s%s\n", indent, l)
	}
}

// unquoteUsage splits a flag's usage into the name of its value (the
// first `QUOTED` word, as the library's help reads it) and the usage
// without the quotes.
func unquoteUsage(usage string) (string, string) {
	start := strings.IndexByte(usage, '`')
	if start < 0 {
		return "", usage
	}
	end := strings.IndexByte(usage[start+1:], '`')
	if end < 0 {
		return "", usage
	}
	name := usage[start+1 : start+1+end]
	return name, usage[:start] + name + usage[start+1+end+1:]
}

package main

import (
	"bytes"
	"context"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
)

func helpApp() *cli.App {
	return newApp(cl.Env{Streams: cl.IOStreams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}})
}

// commandPaths are the paths of every command that runs ("plan show").
func commandPaths(cmds []*cli.Command, prefix string) []string {
	var out []string
	for _, c := range cmds {
		p := strings.TrimSpace(prefix + " " + c.Name)
		if len(c.Subcommands) > 0 {
			out = append(out, commandPaths(c.Subcommands, p)...)
			continue
		}
		out = append(out, p)
	}
	return out
}

// TestHelpFits100Columns: the global help and every command's help fit in
// 100 columns.
func TestHelpFits100Columns(t *testing.T) {
	app := helpApp()
	paths := append([]string{"", "plan", "hostkey"}, commandPaths(app.Commands, "")...)
	for _, p := range paths {
		var b bytes.Buffer
		if err := writeHelp(&b, app, strings.Fields(p)); err != nil {
			t.Fatalf("help %q: %v", p, err)
		}
		if b.Len() == 0 {
			t.Errorf("help %q is empty", p)
		}
		for i, l := range strings.Split(b.String(), "\n") {
			if len(l) > helpWidth {
				t.Errorf("help %q line %d is %d columns:\n%s", p, i+1, len(l), l)
			}
		}
	}
}

// TestCommandOptionsListed: every command has an entry in commandOptions,
// each option named there exists, and its usage line shows it.
func TestCommandOptionsListed(t *testing.T) {
	app := helpApp()
	byName := map[string]cli.Flag{}
	for _, f := range app.Flags {
		byName[f.Names()[0]] = f
	}
	opts := commandOptions()
	for _, name := range commonOptions() {
		if byName[name] == nil {
			t.Errorf("common option --%s is no flag", name)
		}
	}
	var find func(cmds []*cli.Command, words []string) *cli.Command
	find = func(cmds []*cli.Command, words []string) *cli.Command {
		c := findCommand(cmds, words[0])
		if c == nil || len(words) == 1 {
			return c
		}
		return find(c.Subcommands, words[1:])
	}
	for _, p := range commandPaths(app.Commands, "") {
		names, ok := opts[p]
		if !ok {
			t.Errorf("command %q has no entry in commandOptions", p)
			continue
		}
		usage := find(app.Commands, strings.Fields(p)).UsageText
		for _, n := range names {
			f := byName[n]
			if f == nil {
				t.Errorf("command %q: option --%s is no flag", p, n)
				continue
			}
			shown := false
			for _, alias := range f.Names() {
				shown = shown || strings.Contains(usage, flagDash(alias)+" ") || strings.Contains(usage, flagDash(alias)+"]")
			}
			if !shown {
				t.Errorf("command %q: usage %q does not show --%s", p, usage, n)
			}
		}
	}
	for p := range opts {
		if p != "" && find(app.Commands, strings.Fields(p)) == nil {
			t.Errorf("commandOptions lists %q, which is no command", p)
		}
	}
}

func TestVersionOf(t *testing.T) {
	info := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"},
			{Key: "vcs.modified", Value: "true"}, {Key: "vcs.time", Value: "2026-12-06T01:00:00Z"}}}
	if got, want := versionOf(info), "v1.4.0 (revision 0123456789ab+dirty, 2026-12-06T01:00:00Z, go1.26.8)"; got != want {
		t.Errorf("versionOf = %q, want %q", got, want)
	}
	if got, want := versionOf(&debug.BuildInfo{GoVersion: "go1.26.8"}), "(devel) (go1.26.8)"; got != want {
		t.Errorf("versionOf without settings = %q, want %q", got, want)
	}
}

func TestHelpWords(t *testing.T) {
	spec := cl.FlagSpecOf(helpApp().Flags)
	for _, tc := range []struct {
		args  []string
		words string
		help  bool
	}{
		{[]string{"boot", "-n", "x", "top.conf", "--help"}, "boot top.conf", true},
		{[]string{"-vh", "plan", "show"}, "plan show", true},
		{[]string{"-d", "h", "list"}, "list", false},
		{[]string{"run", "top.conf", "--", "cmd", "-h"}, "run top.conf", false},
	} {
		words, help := helpWords(tc.args, spec)
		if strings.Join(words, " ") != tc.words || help != tc.help {
			t.Errorf("helpWords(%q) = %q, %v; want %q, %v", tc.args, words, help, tc.words, tc.help)
		}
	}
}

// TestInvokedName: errors, hints and help name the program as it was
// invoked (main gives os.Args[0]'s base name as Env.Prog).
func TestInvokedName(t *testing.T) {
	run := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		env := cl.Env{Streams: cl.IOStreams{Out: &out, Err: &errb}, LookupEnv: func(string) (string, bool) { return "", false },
			HomeDir: t.TempDir(), Prog: "cid"}
		code := Main(context.Background(), args, env)
		return out.String(), errb.String(), code
	}
	_, stderr, code := run("bot")
	if code != 2 || !strings.Contains(stderr, "cid: error: unknown command \"bot\"\ncid: hint: did you mean \"boot\"?\n") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	_, stderr, _ = run("status", "nosuch", "-d", t.TempDir())
	if !strings.Contains(stderr, "cid: hint: 'cid list' shows the runs") || strings.Contains(stderr, "cloudinitd ") {
		t.Errorf("stderr:\n%s", stderr)
	}
	stdout, _, _ := run("help", "boot")
	if !strings.HasPrefix(stdout, "Usage: cid boot PLAN") {
		t.Errorf("help:\n%s", stdout)
	}
}

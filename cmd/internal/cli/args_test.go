package cli

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	urfave "github.com/urfave/cli/v2"
)

// TestFlagSpecOf: every name of every flag, taking a value unless the
// flag is a BoolFlag (a count or a string slice takes one too).
func TestFlagSpecOf(t *testing.T) {
	got := FlagSpecOf([]urfave.Flag{
		&urfave.BoolFlag{Name: "quiet", Aliases: []string{"q"}},
		&urfave.StringFlag{Name: "database", Aliases: []string{"d"}},
		&urfave.StringSliceFlag{Name: "globalvar", Aliases: []string{"g"}},
		&urfave.IntFlag{Name: "parallel"},
	})
	want := FlagSpec{"quiet": false, "q": false, "database": true, "d": true, "globalvar": true, "g": true, "parallel": true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FlagSpecOf (-want +got):\n%s", diff)
	}
}

func TestPermute(t *testing.T) {
	spec := FlagSpec{"n": true, "name": true, "v": false, "verbose": false, "g": true, "f": true,
		"l": true, "d": true, "c": false}
	cases := []struct {
		name string
		in   []string
		want []string
	}{
		{"already in front", []string{"-v", "boot", "top.conf"}, []string{"-v", "boot", "top.conf"}},
		{"after arguments", []string{"boot", "plans/top.conf", "-n", "myrun", "-v"}, []string{"-n", "myrun", "-v", "boot", "plans/top.conf"}},
		{"long with value", []string{"plan", "show", "--name", "x", "p"}, []string{"--name", "x", "plan", "show", "p"}},
		{"long with equals", []string{"list", "--name=x"}, []string{"--name=x", "list"}},
		{"repeated values", []string{"plan", "-g", "a=1", "show", "-g", "b=2", "p"}, []string{"-g", "a=1", "-g", "b=2", "plan", "show", "p"}},
		{"combined shorts", []string{"boot", "-vvv", "p"}, []string{"-v", "-v", "-v", "boot", "p"}},
		{"attached name", []string{"boot", "p", "-nRUN"}, []string{"-n", "RUN", "boot", "p"}},
		{"attached level", []string{"-ldebug", "list"}, []string{"-l", "debug", "list"}},
		{"attached dir", []string{"list", "-d/tmp/db"}, []string{"-d", "/tmp/db", "list"}},
		{"attached global", []string{"plan", "show", "-gK=V", "p"}, []string{"-g", "K=V", "plan", "show", "p"}},
		{"bools then attached value", []string{"boot", "-cvnRUN", "p"}, []string{"-c", "-v", "-n", "RUN", "boot", "p"}},
		{"bools then value in next word", []string{"boot", "-vn", "RUN", "p"}, []string{"-v", "-n", "RUN", "boot", "p"}},
		{"value that looks like a flag", []string{"boot", "-n", "-v", "p"}, []string{"-n", "-v", "boot", "p"}},
		{"unknown letter passed on", []string{"list", "-vz"}, []string{"-v", "-z", "list"}},
		{"dash value", []string{"boot", "-f", "-", "p"}, []string{"-f", "-", "boot", "p"}},
		{"double dash", []string{"boot", "--", "-weird.conf"}, []string{"boot", "--", "-weird.conf"}},
		{"help moved like any flag", []string{"plan", "show", "--help"}, []string{"--help", "plan", "show"}},
		{"value flag at end", []string{"boot", "-n"}, []string{"-n", "boot"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Permute(tc.in, spec)); diff != "" {
				t.Errorf("Permute(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

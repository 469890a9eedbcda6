package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
)

// inProcess runs Main with records in dir and a fresh home; it returns the
// exit code, stdout and stderr.
func inProcess(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := cl.Env{
		Streams:   cl.IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb},
		LookupEnv: func(string) (string, bool) { return "", false },
		HomeDir:   t.TempDir(),
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := Main(ctx, append(args, "-C", dir), env)
	return code, out.String(), errb.String()
}

// TestCommandLine: the original's spellings, options anywhere, usage
// errors (exit 2) listing the actions, validation before anything is
// opened, a missing run (exit 1, nothing touched).
func TestCommandLine(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"no name", []string{"status"}, 2, []string{"epumgmt: error: the status action requires the --name argument (-n RUN)", "hint: run 'epumgmt --help'"}},
		{"no action", []string{"-n", "r"}, 2, []string{"which action? the actions are status, find-workers, logfetch, killrun, fetchkill, reconfigure-n, enable"}},
		{"unknown action", []string{"frob", "-n", "r"}, 2, []string{`unknown action "frob"; the actions are status,`}},
		{"not ported", []string{"load", "-n", "r"}, 2, []string{"the action load is not available"}},
		{"two actions", []string{"status", "killrun", "-n", "r"}, 2, []string{"one action"}},
		{"unknown option", []string{"status", "-n", "r", "--frob"}, 2, []string{"frob"}},
		{"killnum zero", []string{"fetchkill", "-n", "r", "--controller", "c", "-k", "0"}, 2, []string{`--killnum (-k) "0": want a whole number from 1`}},
		{"killnum word", []string{"fetchkill", "-n", "r", "--controller", "c", "-k", "x"}, 2, []string{"--killnum"}},
		{"fetchkill no controller", []string{"fetchkill", "-n", "r", "-k", "1"}, 2, []string{"fetchkill requires a controller"}},
		{"newn malformed", []string{"reconfigure-n", "-n", "r", "--newn", "c:1:2"}, 2, []string{`--newn: "c:1:2" is not CONTROLLER:N`}},
		{"newn missing", []string{"reconfigure-n", "-n", "r"}, 2, []string{"reconfigure-n requires --newn"}},
		{"option for another action", []string{"status", "-n", "r", "--force"}, 2, []string{"the status action does not take --force (it is for killrun)"}},
		{"autoscale no controller", []string{"autoscale", "-n", "r", "--instancecount", "3"}, 2, []string{"autoscale requires a controller"}},
		{"autoscale both counts", []string{"autoscale", "-n", "r", "--controller", "c", "--instancecount", "3", "--corecount", "4"}, 2, []string{"not both"}},
		{"autoscale bad count", []string{"autoscale", "-n", "r", "--controller", "c", "--corecount", "-1"}, 2, []string{`--corecount "-1"`}},
		{"autoscale array alone", []string{"autoscale", "-n", "r", "--controller", "c", "--array", "big"}, 2, []string{"--array goes with"}},
		{"bad timeout", []string{"killrun", "-n", "r", "--timeout", "0s"}, 2, []string{"--timeout must be above 0"}},
		{"missing run", []string{"status", "-n", "r"}, 1, []string{`epumgmt: error: no such run "r"`, "nothing was touched"}},
		{"legacy -a", []string{"-a", "inspect", "-n", "r"}, 1, []string{`no such run "r"`}},
		{"positional wins", []string{"-a", "frob", "-n", "r", "STATUS "}, 1, []string{`no such run "r"`}},
		{"options after", []string{"-nr", "killall", "--no-fetch"}, 1, []string{`no such run "r"`}},
		{"conf warned", []string{"status", "-n", "r", "-c", "/etc/main.conf"}, 1, []string{"warning: -c/--conf: epumgmt has no main.conf"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			code, _, stderr := inProcess(t, dir, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			if ents, _ := os.ReadDir(dir); len(ents) > 0 {
				t.Errorf("files left in the record directory: %v", ents)
			}
			if _, err := os.Stat(filepath.Join(dir, "cloudinitd-r.db")); err == nil {
				t.Error("a record was created")
			}
		})
	}
}

// TestHelp: --help anywhere prints the actions, the options and the
// exit-code table, exit 0.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"status", "-h"}, {"-n", "r", "killrun", "--help"}} {
		code, out, stderr := inProcess(t, t.TempDir(), args...)
		if code != 0 {
			t.Errorf("%q: exit %d: %s", args, code, stderr)
		}
		for _, s := range []string{"status (inspect)", "killrun (killall)", "--cloudinitdir DIR, -C DIR", "--killnum N, -k N",
			"EXIT STATUS:", "130  interrupted"} {
			if !strings.Contains(out, s) {
				t.Errorf("%q: help lacks %q", args, s)
			}
		}
	}
}

package main

import (
	"path/filepath"
	"strings"
	"testing"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
)

// TestResumeRefusesNewBootOptions: boot --resume continues the recorded
// run for real, as recorded: the options of a new boot are usage errors
// that leave the record as it was (was: -y walked a simulated cloud and
// deleted the real run's record; -n, -x, -G were ignored), while its own
// options are taken.
func TestResumeRefusesNewBootOptions(t *testing.T) {
	top := oneServicePlan(t)
	dir := filepath.Dir(top)
	writeFiles(t, dir, map[string]string{"g.ini": "[globals]\nx: 1\n"})
	run := inProcess(t, filepath.Join(dir, "db"), t.TempDir())
	if code, _, stderr := run("boot", "-y", "-c", top, "-n", "r"); code != cl.ExitOK {
		t.Fatalf("boot -y -c: exit %d\n%s", code, stderr)
	}
	for _, tc := range []struct {
		args []string
		want string // in stderr, for a usage error
	}{
		{[]string{"-y"}, "-y (--dryrun) is an option of a new boot, not of --resume"},
		{[]string{"--dry-run"}, "-y (--dryrun) is an option of a new boot"},
		{[]string{"-c"}, "-c (--noclean) is an option of a new boot"},
		{[]string{"-n", "other"}, "-n (--name) is an option of a new boot"},
		{[]string{"-x"}, "-x (--validate) is an option of a new boot"},
		{[]string{"-G", filepath.Join(dir, "g.ini")}, "-G (--globalvarfile) is an option of a new boot"},
		{[]string{"--parallel", "2", "-g", "k=v"}, ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := run(append([]string{"boot", "--resume", "r"}, tc.args...)...)
			if tc.want == "" {
				if code == cl.ExitUsage {
					t.Errorf("exit %d (usage), want the options of --resume taken\n%s", code, stderr)
				}
			} else if code != cl.ExitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, want %d with %q in stderr:\n%s", code, cl.ExitUsage, tc.want, stderr)
			}
			if code, out, stderr := run("list", "-q"); code != cl.ExitOK || out != "r\n" {
				t.Errorf("list -q after boot --resume r %v: exit %d, %q, want the run r kept\n%s", tc.args, code, out, stderr)
			}
		})
	}
}

// TestBootNoCleanNeedsDryRun: -c keeps the record of a dry run; on a boot,
// which keeps its record anyway, it is a usage error, not ignored.
func TestBootNoCleanNeedsDryRun(t *testing.T) {
	top := oneServicePlan(t)
	run := inProcess(t, filepath.Join(t.TempDir(), "db"), t.TempDir())
	code, _, stderr := run("boot", top, "-c", "-n", "r")
	if want := "-c (--noclean) keeps the record of a dry run (-y)"; code != cl.ExitUsage || !strings.Contains(stderr, want) {
		t.Errorf("boot -c: exit %d, want %d with %q in stderr:\n%s", code, cl.ExitUsage, want, stderr)
	}
	if code, out, _ := run("list", "-q"); code != cl.ExitOK || out != "" {
		t.Errorf("list -q after boot -c: exit %d, %q; want no run", code, out)
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
)

// TestRunLogToStderr: with -f - the run log goes to the command's stderr
// (env.Streams.Err, which the process guards against a second signal),
// not to the process's os.Stderr behind it; no log file is made.
func TestRunLogToStderr(t *testing.T) {
	top := oneServicePlan(t)
	db := filepath.Join(t.TempDir(), "db")
	run := inProcess(t, db, t.TempDir())
	code, _, stderr := run("boot", "-y", "-c", top, "-n", "r", "-f", "-", "-l", "debug", "-q")
	if code != cl.ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, `level=DEBUG msg="fake launch" run=r `) {
		t.Errorf("stderr has no debug line of the run log:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(db, "r.log")); !os.IsNotExist(err) {
		t.Errorf("r.log with -f -: %v, want none", err)
	}
}

// oneServicePlan writes a plan of one level with one service (a), on the
// fake cloud, and returns its top file.
func oneServicePlan(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"top.conf":    "[defaults]\niaas: fake\nimage: img\n[runlevels]\nlevel1: level1.conf\n",
		"level1.conf": "[svc-a]\n",
	})
	return filepath.Join(dir, "top.conf")
}

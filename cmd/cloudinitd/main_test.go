package main

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cloudinitd/cloudinitd/iaas/local"
)

var update = flag.Bool("update", false, "rewrite the expected output in testdata/script/*.txtar")

func TestMain(m *testing.M) {
	// Local-driver instances re-execute this binary.
	if code, ok := local.MaybeServe(); ok {
		os.Exit(code)
	}
	testscript.Main(m, map[string]func(){
		"cloudinitd": func() { os.Exit(run()) },
		// The epu program: a symlink named epu to the binary (examples/epu
		// copies the binary and makes one).
		"epu": func() { os.Exit(run()) },
		// What a service's program that launches instances for its run
		// does (a provisioner): see owned_test.go.
		"launch-worker": func() { os.Exit(launchWorker(os.Args[1:])) },
		// What the COMMAND of 'cloudinitd run' does in ci_test.go's scripts.
		"dialssh":     func() { os.Exit(dialSSH(os.Args[1:])) },
		"untilorphan": func() { os.Exit(untilOrphan(os.Args[1:])) },
	})
}

// TestScripts runs the command-line scripts in testdata/script: the real
// binary on real plans. $REPO is the repository root, so scripts can use the
// examples; HOME is a fresh directory per script.
func TestScripts(t *testing.T) {
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       *update,
		Cmds:                scriptCmds,
		Setup: func(e *testscript.Env) error {
			home := filepath.Join(e.WorkDir, "home")
			if err := os.MkdirAll(home, 0o755); err != nil {
				return err
			}
			e.Setenv("HOME", home)
			e.Setenv("REPO", repo)
			e.Values["ec2"] = &ec2Holder{}
			work := e.WorkDir
			e.Defer(func() { reapLocal(work) })
			return nil
		},
	})
}

// cmdExits is the script command "exits CODE PROG ARGS...": it runs PROG
// like exec and checks its exit status is exactly CODE. stdout and stderr
// can be checked afterwards as after exec.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

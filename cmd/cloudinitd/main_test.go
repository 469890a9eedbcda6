package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cloudinitd/cloudinitd/cmd/internal/scripttest"
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
			e.Defer(func() { scripttest.ReapLocal(work) })
			return nil
		},
	})
}

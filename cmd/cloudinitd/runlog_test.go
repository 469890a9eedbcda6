package main

import (
	"bytes"
	"context"
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
	dir := t.TempDir()
	top := filepath.Join(dir, "top.conf")
	files := map[string]string{
		top:                               "[defaults]\niaas: fake\nimage: img\n[runlevels]\nlevel1: level1.conf\n",
		filepath.Join(dir, "level1.conf"): "[svc-a]\n",
	}
	for name, content := range files {
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db := filepath.Join(dir, "db")
	var out, errw bytes.Buffer
	env := cl.Env{Streams: cl.IOStreams{In: strings.NewReader(""), Out: &out, Err: &errw},
		LookupEnv: func(string) (string, bool) { return "", false }, HomeDir: dir}
	args := []string{"boot", "-y", "-c", top, "-n", "r", "-d", db, "-f", "-", "-l", "debug", "-q"}
	if code := Main(context.Background(), args, env); code != cl.ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, errw.String())
	}
	if got := errw.String(); !strings.Contains(got, `level=DEBUG msg="fake launch" run=r `) {
		t.Errorf("stderr has no debug line of the run log:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(db, "r.log")); !os.IsNotExist(err) {
		t.Errorf("r.log with -f -: %v, want none", err)
	}
}

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

// TestPlanLoadStopsOnSignal: the commands that load a plan hand it the
// signal context (Ctrl-C, SIGTERM): once it is cancelled, plan validate,
// boot and reload stop while loading, exit 130 and leave no record.
func TestPlanLoadStopsOnSignal(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"top.conf":    "[defaults]\niaas: fake\nimage: img\n[runlevels]\nlevel1: level1.conf\n",
		"level1.conf": "[svc-a]\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	top, db := filepath.Join(dir, "top.conf"), filepath.Join(dir, "db")
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // as the first Ctrl-C or SIGTERM does
	for _, args := range [][]string{
		{"plan", "validate", top},
		{"boot", top, "-n", "sig", "-d", db},
		{"reload", top, "-n", "sig", "-d", db},
	} {
		t.Run(args[0], func(t *testing.T) {
			var out, errw bytes.Buffer
			env := cl.Env{Streams: cl.IOStreams{In: strings.NewReader(""), Out: &out, Err: &errw},
				LookupEnv: func(string) (string, bool) { return "", false }, HomeDir: dir}
			if code := Main(ctx, args, env); code != cl.ExitInterrupted {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, cl.ExitInterrupted, errw.String())
			}
			if out.Len() != 0 || errw.String() != "cloudinitd: interrupted\n" {
				t.Errorf("stdout %q, stderr %q", out.String(), errw.String())
			}
			if entries, _ := os.ReadDir(db); len(entries) != 0 {
				t.Errorf("%s left %d files in the record directory", args[0], len(entries))
			}
		})
	}
}

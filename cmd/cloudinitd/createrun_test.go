package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/store"
)

// TestCreateRunErrors: boot makes the record while the plan loads, and
// still answers as it did when the record was made after the load: a plan
// that does not load wins over a bad -n and a taken name and leaves no
// record (nor the existing run's touched), a bad -n wins over a taken
// name.
func TestCreateRunErrors(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"good.conf":   "[defaults]\niaas: fake\nimage: img\n[runlevels]\nlevel1: level1.conf\n",
		"bad.conf":    "[defaults]\niaas: fake\nimage: img\n[runlevels]\nlevel1: missing.conf\n",
		"level1.conf": "[svc-a]\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db := filepath.Join(dir, "db")
	taken, err := store.Create(context.Background(), db, "taken", store.Run{TopConf: "/elsewhere/top.conf"})
	if err != nil {
		t.Fatal(err)
	}
	if err := taken.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, plan, run string
		code            int
		stderr          string
	}{
		{"bad plan", "bad.conf", "fresh", cl.ExitInvalidPlan, "missing.conf"},
		{"bad plan and bad name", "bad.conf", "a/b", cl.ExitInvalidPlan, "missing.conf"},
		{"bad plan and taken name", "bad.conf", "taken", cl.ExitInvalidPlan, "missing.conf"},
		{"bad name", "good.conf", "a/b", cl.ExitUsage, "-n: "},
		{"taken name", "good.conf", "taken", cl.ExitFailed, "pick another name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errw bytes.Buffer
			env := cl.Env{Streams: cl.IOStreams{In: strings.NewReader(""), Out: &out, Err: &errw},
				LookupEnv: func(string) (string, bool) { return "", false }, HomeDir: dir}
			args := []string{"boot", filepath.Join(dir, tc.plan), "-n", tc.run, "-d", db}
			if code := Main(context.Background(), args, env); code != tc.code || !strings.Contains(errw.String(), tc.stderr) {
				t.Errorf("exit %d, want %d; stderr (want %q in it):\n%s", code, tc.code, tc.stderr, errw.String())
			}
			runs, err := store.List(db)
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) != 1 || runs[0] != "taken" {
				t.Errorf("records after the failed boot: %v, want only the run taken", runs)
			}
			ro, err := store.OpenReadOnly(context.Background(), db, "taken")
			if err != nil {
				t.Fatal(err)
			}
			row, err := ro.Run(context.Background())
			if cerr := ro.Close(); err == nil {
				err = cerr
			}
			if err != nil || row.TopConf != "/elsewhere/top.conf" {
				t.Errorf("the taken run's plan is %q (%v), want it untouched", row.TopConf, err)
			}
			entries, err := os.ReadDir(db)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries { // the taken run's -wal and -shm: its read-only opens above
				if !strings.HasPrefix(e.Name(), filepath.Base(store.Path(db, "taken"))) {
					t.Errorf("the failed boot left %s in the record directory", e.Name())
				}
			}
		})
	}
}

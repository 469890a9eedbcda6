package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
)

// TestMakeRecordDir: the levels made are the missing ones, outermost
// first; removeEmpty takes them away innermost first and stops at one that
// holds something, keeping it and its parents.
func TestMakeRecordDir(t *testing.T) {
	for _, tc := range []struct {
		name     string
		exists   string // made before, below the test's directory
		dir      string
		made     []string
		occupied string // a file put in a made directory before removeEmpty
		left     []string
	}{
		{name: "all missing", dir: "a/b/c", made: []string{"a", "a/b", "a/b/c"}},
		{name: "parent exists", exists: "a", dir: "a/b", made: []string{"a/b"}, left: []string{"a"}},
		{name: "exists", exists: "a/b", dir: "a/b", left: []string{"a", "a/b"}},
		{name: "occupied", dir: "a/b/c", made: []string{"a", "a/b", "a/b/c"}, occupied: "a/b/run.log",
			left: []string{"a", "a/b", "a/b/run.log"}},
		{name: "occupied outer", dir: "a/b/c", made: []string{"a", "a/b", "a/b/c"}, occupied: "a/other",
			left: []string{"a", "a/other"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			if tc.exists != "" {
				if err := os.MkdirAll(filepath.Join(root, tc.exists), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			made, err := makeRecordDir(filepath.Join(root, tc.dir))
			if err != nil {
				t.Fatal(err)
			}
			var rel []string
			for _, d := range made {
				r, err := filepath.Rel(root, d)
				if err != nil {
					t.Fatal(err)
				}
				rel = append(rel, r)
				if fi, err := os.Stat(d); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
					t.Errorf("made %s: %v, %v; want a directory of mode 0700", r, fi, err)
				}
			}
			if diff := cmp.Diff(tc.made, rel); diff != "" {
				t.Errorf("made (-want +got):\n%s", diff)
			}
			if tc.occupied != "" {
				if err := os.WriteFile(filepath.Join(root, tc.occupied), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := made.removeEmpty(); err != nil {
				t.Fatalf("removeEmpty: %v", err)
			}
			if diff := cmp.Diff(tc.left, below(t, root)); diff != "" {
				t.Errorf("left after removeEmpty (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFailedBootLeavesNoRecordDir: a boot that leaves no record (its plan
// does not load, -x fails, a dry run without -c) leaves no record
// directory it made either, ~/.cloudinitd on first use included; one it
// did not make, or one that holds something (the run's log), stays.
func TestFailedBootLeavesNoRecordDir(t *testing.T) {
	plans := map[string]string{
		"good.conf":    "[defaults]\niaas: fake\nimage: img\n[runlevels]\nlevel1: level1.conf\n",
		"bad.conf":     "[defaults]\niaas: fake\nimage: img\n[runlevels]\nlevel1: missing.conf\n",
		"nokey.conf":   "[defaults]\niaas: fake\nimage: img\n[runlevels]\nlevel1: program.conf\n",
		"level1.conf":  "[svc-a]\n",
		"program.conf": "[svc-web]\nbootpgm: boot.sh\n",
		"boot.sh":      "#!/bin/sh\ntrue\n",
	}
	for _, tc := range []struct {
		name   string
		exists string   // made before, below the test's directory
		args   []string // $D is the test's directory
		code   int
		left   []string // below the test's directory, plans and home aside
	}{
		{name: "bad plan, first use", args: []string{"boot", "$D/plans/bad.conf"},
			code: cl.ExitInvalidPlan},
		{name: "bad plan, new -d", args: []string{"boot", "$D/plans/bad.conf", "-d", "$D/new/db"},
			code: cl.ExitInvalidPlan},
		{name: "bad plan, -d there before", exists: "db", args: []string{"boot", "$D/plans/bad.conf", "-d", "$D/db"},
			code: cl.ExitInvalidPlan, left: []string{"db"}},
		{name: "bad plan, parent there before", exists: "new", args: []string{"boot", "$D/plans/bad.conf", "-d", "$D/new/db"},
			code: cl.ExitInvalidPlan, left: []string{"new"}},
		{name: "-x -y fails, logs elsewhere", args: []string{"boot", "-x", "-y", "$D/plans/nokey.conf", "-n", "r", "-d", "$D/db", "-f", "-"},
			code: cl.ExitInvalidPlan},
		{name: "-x fails, its log and the driver's state kept", args: []string{"boot", "-x", "$D/plans/nokey.conf", "-n", "r", "-d", "$D/db"},
			code: cl.ExitInvalidPlan, left: []string{"db", "db/fake", "db/r.log"}},
		{name: "dry run, logs elsewhere", args: []string{"boot", "-y", "$D/plans/good.conf", "-n", "r", "-d", "$D/db", "-f", "-"},
			code: cl.ExitOK},
		{name: "dry run -c keeps its record", args: []string{"boot", "-y", "-c", "$D/plans/good.conf", "-n", "r", "-d", "$D/db", "-f", "-"},
			code: cl.ExitOK, left: []string{"db", "db/cloudinitd-r.db"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			home := filepath.Join(dir, "home")
			for _, d := range []string{home, filepath.Join(dir, "plans"), filepath.Join(dir, tc.exists)} {
				if err := os.MkdirAll(d, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			writeFiles(t, filepath.Join(dir, "plans"), plans)
			var args []string
			for _, a := range tc.args {
				args = append(args, strings.ReplaceAll(a, "$D", dir))
			}
			var out, errw bytes.Buffer
			env := cl.Env{Streams: cl.IOStreams{In: strings.NewReader(""), Out: &out, Err: &errw},
				LookupEnv: func(string) (string, bool) { return "", false }, HomeDir: home}
			if code := Main(context.Background(), args, env); code != tc.code {
				t.Fatalf("%v: exit %d, want %d; stderr:\n%s", tc.args, code, tc.code, errw.String())
			}
			var left []string
			for _, p := range below(t, dir) {
				if p != "home" && p != "plans" && !strings.HasPrefix(p, "plans/") && !strings.HasSuffix(p, "-shm") && !strings.HasSuffix(p, "-wal") {
					left = append(left, p)
				}
			}
			if diff := cmp.Diff(tc.left, left); diff != "" {
				t.Errorf("left by %v (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

// below lists what root holds, as paths relative to it, in lexical order.
func below(t *testing.T, root string) []string {
	t.Helper()
	var got []string
	err := filepath.WalkDir(root, func(p string, _ os.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		r, err := filepath.Rel(root, p)
		got = append(got, r)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

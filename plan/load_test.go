package plan

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/plans")

// planCase is one directory of testdata/plans: top.conf (or the file named
// by a "top PATH" line of args), an optional env file of KEY=VALUE lines
// (the only environment the plan sees), an optional args file ("-G FILE",
// "-g KEY=VALUE", "top PATH" lines) and a home/ directory used for ~.
type planCase struct {
	dir  string
	top  string
	opts Options
}

func readPlanCase(t *testing.T, dir string) planCase {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := planCase{dir: abs, top: filepath.Join(abs, "top.conf")}
	env := map[string]string{}
	for _, line := range readLines(t, filepath.Join(abs, "env")) {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("env: bad line %q", line)
		}
		env[k] = v
	}
	c.opts.LookupEnv = func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
	c.opts.HomeDir = filepath.Join(abs, "home")
	for _, line := range readLines(t, filepath.Join(abs, "args")) {
		flag, arg, _ := strings.Cut(line, " ")
		switch flag {
		case "top":
			c.top = filepath.Join(abs, arg)
		case "-G":
			c.opts.GlobalFiles = append(c.opts.GlobalFiles, filepath.Join(abs, arg))
		case "-g":
			c.opts.GlobalVars = append(c.opts.GlobalVars, arg)
		default:
			t.Fatalf("args: bad line %q", line)
		}
	}
	return c
}

// readLines returns the non-blank, non-# lines of path, none if absent.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPlans loads every plan of testdata/plans and compares Dump() (valid
// plans) or the error text (invalid plans) with want.golden.
func TestPlans(t *testing.T) {
	dirs, err := filepath.Glob("testdata/plans/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 30 {
		t.Errorf("only %d plans in testdata/plans, want at least 30", len(dirs))
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			c := readPlanCase(t, dir)
			p, err := Load(context.Background(), c.top, c.opts)
			var got string
			if err != nil {
				if !errors.Is(err, ErrInvalid) {
					t.Errorf("error %v does not match ErrInvalid", err)
				}
				got = "error: " + err.Error() + "\n"
			} else {
				got = p.Dump()
			}
			got = strings.ReplaceAll(got, c.dir, "$PLAN")
			golden := filepath.Join(c.dir, "want.golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestPlans -update)", err)
			}
			if d := cmp.Diff(string(want), got); d != "" {
				t.Errorf("plan %s (-want +got):\n%s", filepath.Base(dir), d)
			}
		})
	}
}

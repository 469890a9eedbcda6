package remote_test

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/google/go-cmp/cmp"
)

// tarball writes a .tar.gz named name holding files (path -> content;
// a path ending in "/" is a directory).
func tarball(t *testing.T, name string, files map[string]string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	for _, n := range slices.Sorted(maps.Keys(files)) {
		hdr := &tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}
		if strings.HasSuffix(n, "/") {
			hdr = &tar.Header{Name: n, Mode: 0o755, Typeflag: tar.TypeDir}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(files[n])); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []interface{ Close() error }{tw, gz, f} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

const printArgs = `pwd; for a in "$@"; do printf '[%s]\n' "$a"; done` + "\n"

func TestRunProgramPlain(t *testing.T) {
	args := []string{"message quote", "it's $x", ""}
	eachHost(t, func(t *testing.T, h host, ex remote.Executor) {
		s := stage(t, ex)
		prog := script(t, "boot.sh", printArgs)
		res, err := remote.RunProgram(testCtx(t), ex, remote.Program{Path: prog, StageDir: s, Args: args})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{s, "[message quote]", "[it's $x]", "[]"}
		if diff := cmp.Diff(want, res.Tail); diff != "" {
			t.Errorf("output (-want +got):\n%s", diff)
		}
		st, err := ex.Run(testCtx(t), remote.Cmd{Argv: []string{"stat", "-c", "%a", path.Join(s, "boot.sh")}})
		if err != nil || st.Tail[0] != "755" {
			t.Errorf("uploaded program mode: %v %v", st.Tail, err)
		}
	})
}

func TestRunProgramTarball(t *testing.T) {
	// run.sh is stored without the execute bit: RunProgram must chmod it.
	good := map[string]string{"app/": "", "app/run.sh": "#!/bin/sh\n" + printArgs, "app/data": "x"}
	noDir := map[string]string{"other/": "", "other/run.sh": "#!/bin/sh\necho no\n"}
	noRun := map[string]string{"app/": "", "app/start.sh": "#!/bin/sh\necho no\n"}
	eachHost(t, func(t *testing.T, h host, ex remote.Executor) {
		t.Run("good", func(t *testing.T) {
			s := stage(t, ex)
			// The last ".tar.gz" counts: the base is "app".
			res, err := remote.RunProgram(testCtx(t), ex, remote.Program{
				Path: tarball(t, "app.tar.gz", good), StageDir: s, Args: []string{"a b", "c"},
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{s, "[a b]", "[c]"}, res.Tail); diff != "" {
				t.Errorf("output (-want +got), cwd must be the stage dir:\n%s", diff)
			}
		})
		for _, tc := range []struct {
			name  string
			files map[string]string
			want  string
		}{
			{"no dir", noDir, "the tarball does not expand to a directory of the same name: "},
			{"no run.sh", noRun, "the tarball does not contain run.sh: "},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := stage(t, ex)
				_, err := remote.RunProgram(testCtx(t), ex, remote.Program{Path: tarball(t, "app.tar.gz", tc.files), StageDir: s})
				if !errors.Is(err, remote.ErrBadTarball) || !strings.Contains(err.Error(), tc.want+path.Join(s, "app")) {
					t.Errorf("err = %v, want ErrBadTarball with %q", err, tc.want)
				}
			})
		}
	})
}

func TestTarballBase(t *testing.T) {
	for _, tc := range []struct {
		name, base string
		ok         bool
	}{
		{"app.tar.gz", "app", true},
		{"app.tar.gz.tar.gz", "app.tar.gz", true},
		{"x.tar.gz.bak", "x", true},
		{"app.tgz", "", false},
		{"run.sh", "", false},
	} {
		base, ok := remote.TarballBase(tc.name)
		if base != tc.base || ok != tc.ok {
			t.Errorf("TarballBase(%q) = %q, %v; want %q, %v", tc.name, base, ok, tc.base, tc.ok)
		}
	}
}

func TestRemoveStage(t *testing.T) {
	eachHost(t, func(t *testing.T, h host, ex remote.Executor) {
		s := stage(t, ex)
		if err := ex.Upload(testCtx(t), path.Join(s, "f"), strings.NewReader("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		for range 2 { // a missing directory is fine
			if err := remote.RemoveStage(testCtx(t), ex, s); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := ex.Run(testCtx(t), remote.Cmd{Argv: []string{"test", "-e", s}}); err == nil {
			t.Errorf("%s still exists", s)
		}
	})
}

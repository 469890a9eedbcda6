package remote_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudinitd/cloudinitd/remote"
)

// TestPrepareRefusesUnsafeDirs: a working or stage directory someone else
// could tamper with is refused and left alone, on every kind of host; a
// working directory of the user's own keeps its mode.
func TestPrepareRefusesUnsafeDirs(t *testing.T) {
	const other = 4242 // a uid that is not ours
	canChown := os.Geteuid() == 0
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, wd string) // wd does not exist yet
		want  string                        // in the error; "" for success
		chown bool                          // needs root to set up
	}{
		{"own work dir keeps its mode", func(t *testing.T, wd string) { mkdir(t, wd, 0o755) }, "", false},
		{"work dir is a symlink", func(t *testing.T, wd string) {
			target := filepath.Join(filepath.Dir(wd), "elsewhere")
			mkdir(t, target, 0o777)
			if err := os.Symlink(target, wd); err != nil {
				t.Fatal(err)
			}
		}, "is a symbolic link", false},
		{"work dir is a file", func(t *testing.T, wd string) {
			if err := os.WriteFile(wd, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "is not a directory", false},
		{"work dir of another user", func(t *testing.T, wd string) { mkdir(t, wd, 0o777); chown(t, wd, other) }, "belongs to another user (uid 4242)", true},
		{"stage dir of another user", func(t *testing.T, wd string) {
			mkdir(t, wd, os.ModeSticky|0o777)
			mkdir(t, filepath.Join(wd, "svc"), 0o777)
			chown(t, filepath.Join(wd, "svc"), other)
		}, "belongs to another user (uid 4242)", true},
		{"stage dir is a symlink", func(t *testing.T, wd string) {
			mkdir(t, wd, os.ModeSticky|0o777)
			target := filepath.Join(filepath.Dir(wd), "elsewhere")
			mkdir(t, target, 0o700)
			if err := os.Symlink(target, filepath.Join(wd, "svc")); err != nil {
				t.Fatal(err)
			}
		}, "is a symbolic link", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.chown && !canChown {
				t.Skip("needs root to give a directory to another user")
			}
			eachFileHost(t, func(t *testing.T, ex remote.Executor) {
				wd := filepath.Join(t.TempDir(), "nimbusready")
				tc.setup(t, wd)
				before, _ := os.Lstat(wd)
				err := ex.Prepare(testCtx(t), remote.StageDir(wd, "svc"))
				if tc.want == "" {
					if err != nil {
						t.Fatal(err)
					}
					if fi, _ := os.Lstat(wd); fi.Mode() != before.Mode() {
						t.Errorf("work dir mode %v, was %v", fi.Mode(), before.Mode())
					}
					return
				}
				if !errors.Is(err, remote.ErrWorkDir) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Prepare = %v, want ErrWorkDir saying %q", err, tc.want)
				}
				if after, _ := os.Lstat(wd); after.Mode() != before.Mode() {
					t.Errorf("work dir mode changed from %v to %v", before.Mode(), after.Mode())
				}
			})
		})
	}
}

func mkdir(t *testing.T, dir string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
}

func chown(t *testing.T, p string, uid int) {
	t.Helper()
	if err := os.Chown(p, uid, uid); err != nil {
		t.Fatal(err)
	}
}

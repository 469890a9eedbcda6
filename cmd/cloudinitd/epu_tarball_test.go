package main

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEpuTarballMatchesSource: examples/epu/epu.tar.gz holds exactly the
// files of examples/epu/src/epu, byte for byte, each with the mode git
// gives it (0755 when executable, else 0644; the rebuild command in
// examples/epu/README.md writes those). A checkout's modes beyond the
// executable bit are its umask's (a `git archive` copy has 0664 and 0775),
// so only that bit is read from the source; the tarball's modes are
// compared whole.
func TestEpuTarballMatchesSource(t *testing.T) {
	src := filepath.Join("..", "..", "examples", "epu", "src")
	want := map[string]string{}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		want[filepath.ToSlash(rel)] = fmt.Sprintf("%o %s", gitMode(info.Mode()), b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join("..", "..", "examples", "epu", "epu.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = fmt.Sprintf("%o %s", fs.FileMode(h.Mode).Perm(), b)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("epu.tar.gz differs from src/ (-src +tarball); rebuild it as examples/epu/README.md says:\n%s", diff)
	}
}

// gitMode is the mode git records for a file of mode m, and a checkout
// with umask 022 gives it: executable by its owner or not.
func gitMode(m fs.FileMode) fs.FileMode {
	if m&0o100 != 0 {
		return 0o755
	}
	return 0o644
}

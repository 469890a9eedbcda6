package remote_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/cloudinitd/cloudinitd/remote"
)

// TestLocalFetchBounded: a local_exe service's bootout.json gets the cap of
// the SSH path; a symlink to /dev/zero, a FIFO or a huge file are refused
// without reading them.
func TestLocalFetchBounded(t *testing.T) {
	dir := t.TempDir()
	var l remote.Local
	small := filepath.Join(dir, "small.json")
	if err := os.WriteFile(small, []byte(`{"a": 1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := l.Fetch(testCtx(t), small); err != nil || string(b) != `{"a": 1}` {
		t.Errorf("small file: %q, %v", b, err)
	}
	zero := filepath.Join(dir, "zero.json")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.json")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(remote.MaxFetch + 1); err != nil { // sparse
		t.Fatal(err)
	}
	f.Close()
	exact := filepath.Join(dir, "exact.json")
	if err := os.WriteFile(exact, make([]byte, remote.MaxFetch), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want error
	}{
		{zero, remote.ErrNotRegular},
		{fifo, remote.ErrNotRegular},
		{dir, remote.ErrNotRegular},
		{huge, remote.ErrTooLarge},
		{filepath.Join(dir, "missing.json"), fs.ErrNotExist},
	} {
		if b, err := l.Fetch(testCtx(t), tc.path); !errors.Is(err, tc.want) || b != nil {
			t.Errorf("Fetch(%s) = %d bytes, %v; want %v", filepath.Base(tc.path), len(b), err, tc.want)
		}
	}
	if b, err := l.Fetch(testCtx(t), exact); err != nil || len(b) != remote.MaxFetch {
		t.Errorf("a file of exactly MaxFetch bytes: %d bytes, %v", len(b), err)
	}
}

package remote_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/google/go-cmp/cmp"
)

// uploadRecorder is an Executor that keeps what was uploaded and runs
// nothing.
type uploadRecorder struct {
	mu      sync.Mutex
	uploads map[string][]byte
}

func (u *uploadRecorder) Prepare(context.Context, string) error { return nil }
func (u *uploadRecorder) Upload(_ context.Context, dst string, r io.Reader, _ fs.FileMode) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.uploads == nil {
		u.uploads = map[string][]byte{}
	}
	u.uploads[dst] = b
	return nil
}
func (u *uploadRecorder) Run(ctx context.Context, _ remote.Cmd) (remote.Result, error) {
	return remote.Result{}, ctx.Err()
}
func (u *uploadRecorder) Fetch(_ context.Context, p string) ([]byte, error) {
	return nil, &fs.PathError{Op: "fetch", Path: p, Err: fs.ErrNotExist}
}
func (u *uploadRecorder) Host() string { return "recorder" }
func (u *uploadRecorder) Close() error { return nil }

func (u *uploadRecorder) got(dst string) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return string(u.uploads[dst])
}

// settle makes p's modification time old enough for Files to keep it.
func settle(t testing.TB, p string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
}

// TestFilesUploadTheFileAsItIs runs one program many times through one
// Files while the file changes: every upload is the content on disk at
// that moment, the same as without Files.
func TestFilesUploadTheFileAsItIs(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "boot.sh")
	write := func(content string, settled bool) {
		t.Helper()
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
		if settled {
			settle(t, p)
		}
	}
	var files remote.Files
	ex := &uploadRecorder{}
	run := func() string {
		t.Helper()
		if _, err := remote.RunProgram(context.Background(), ex, remote.Program{Path: p, StageDir: "/stage", Files: &files}); err != nil {
			t.Fatal(err)
		}
		return ex.got("/stage/boot.sh")
	}
	var got, want []string
	step := func(content string, settled bool) {
		write(content, settled)
		for range 2 {
			got, want = append(got, run()), append(want, content)
		}
	}
	step("#!/bin/sh\necho one\n", true)
	step("#!/bin/sh\necho two\n", true)            // same size, other content
	step("#!/bin/sh\necho three!\n", true)         // other size
	step("#!/bin/sh\necho four\n", false)          // modified just now: not kept
	step("#!/bin/sh\necho five\n", false)          // same size, same second
	step("#!/bin/sh\necho six!!\n", true)          // kept again
	if err := os.Rename(p, p+".old"); err != nil { // another file at the path
		t.Fatal(err)
	}
	step("#!/bin/sh\necho seven\n", true)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("uploads (-want +got):\n%s", diff)
	}
}

// TestFilesMissingProgram: a program that is gone fails as without Files,
// also after it was kept.
func TestFilesMissingProgram(t *testing.T) {
	p := filepath.Join(t.TempDir(), "boot.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	settle(t, p)
	var files remote.Files
	ex := &uploadRecorder{}
	prog := remote.Program{Path: p, StageDir: "/stage", Files: &files}
	if _, err := remote.RunProgram(context.Background(), ex, prog); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	for _, f := range []*remote.Files{&files, nil} {
		prog.Files = f
		_, err := remote.RunProgram(context.Background(), ex, prog)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Files %p: RunProgram of a removed program = %v, want an error wrapping fs.ErrNotExist", f, err)
		}
	}
}

// TestFilesLargeProgram: a program larger than MaxKeptProgram is uploaded
// whole, read at every use.
func TestFilesLargeProgram(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.sh")
	big := bytes.Repeat([]byte("#"), remote.MaxKeptProgram+10)
	if err := os.WriteFile(p, big, 0o755); err != nil {
		t.Fatal(err)
	}
	settle(t, p)
	var files remote.Files
	ex := &uploadRecorder{}
	for range 2 {
		if _, err := remote.RunProgram(context.Background(), ex, remote.Program{Path: p, StageDir: "/stage", Files: &files}); err != nil {
			t.Fatal(err)
		}
		if got := ex.got("/stage/big.sh"); got != string(big) {
			t.Fatalf("uploaded %d bytes, want %d", len(got), len(big))
		}
	}
}

// BenchmarkRunProgramDryRun is the dry run's cost of a program per host
// (the scale suite runs a bootpgm and a readypgm on every one of 10,000
// hosts): RunProgram through an executor that runs nothing, reading the
// file at every run (open) or through one Files for all runs (kept).
func BenchmarkRunProgramDryRun(b *testing.B) {
	p := filepath.Join(b.TempDir(), "boot.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\ndate > booted\n"), 0o755); err != nil {
		b.Fatal(err)
	}
	settle(b, p)
	for _, c := range []struct {
		name  string
		files *remote.Files
	}{{"open", nil}, {"kept", &remote.Files{}}} {
		b.Run(c.name, func(b *testing.B) {
			ex := &uploadRecorder{}
			prog := remote.Program{Path: p, StageDir: "/stage", Args: []string{"a"}, Files: c.files}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := remote.RunProgram(context.Background(), ex, prog); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

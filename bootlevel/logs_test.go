package bootlevel

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestServiceLogRotates: a service log past its cap moves to .log.1 and a
// new one starts; together they hold the newest lines, in order, and
// neither is larger than the cap.
func TestServiceLogRotates(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "web.log")
	f, err := OpenLog(path)
	if err != nil {
		t.Fatal(err)
	}
	const max = 1000
	l := &serviceLog{e: &Engine{}, svc: "web", path: path, max: max, f: f}
	for i := range 100 {
		l.Printf("line %03d %s", i, strings.Repeat("x", 50))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(path + ".1")
	if err != nil {
		t.Fatal(err)
	}
	cur, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(old) > max || len(cur) > max || len(cur) == 0 {
		t.Errorf("sizes %d and %d, cap %d", len(old), len(cur), max)
	}
	lines := strings.Split(strings.TrimSpace(string(old)+string(cur)), "\n")
	if !strings.Contains(lines[len(lines)-1], "line 099 ") {
		t.Errorf("the newest line is %q", lines[len(lines)-1])
	}
	first := 100 - len(lines)
	for i, ln := range lines {
		if !strings.Contains(ln, fmt.Sprintf("line %03d ", first+i)) {
			t.Fatalf("line %d of the logs is %q, want line %03d", i, ln, first+i)
		}
	}
	for _, p := range []string{path, path + ".1"} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, want mode 0600", p, err)
		}
	}
}

// TestOpenLogRefuses: a log path that is a symbolic link or a FIFO is
// refused (the link's target untouched); an existing log is made 0600.
func TestOpenLogRefuses(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere")
	if err := os.WriteFile(target, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.log")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.log")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{link, fifo, dir} {
		if f, err := OpenLog(p); !errors.Is(err, ErrLogFile) {
			if f != nil {
				f.Close()
			}
			t.Errorf("OpenLog(%s) = %v, want ErrLogFile", filepath.Base(p), err)
		}
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("the link's target now holds %q", b)
	}
	open := filepath.Join(dir, "open.log")
	if err := os.WriteFile(open, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := OpenLog(open)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if fi, _ := os.Stat(open); fi.Mode().Perm() != 0o600 {
		t.Errorf("existing log mode %v, want 0600", fi.Mode().Perm())
	}
}

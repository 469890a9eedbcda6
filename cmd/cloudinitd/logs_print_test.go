package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLogTail: logs -f prints only complete lines, each once; a line
// written in two pieces comes out whole; a log rotated away (renamed to
// .1, a new file started) is finished before the new one is read from its
// start; headers mark each change of file.
func TestLogTail(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "run.log"), filepath.Join(dir, "web.log")
	appendTo := func(p, s string) {
		t.Helper()
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(s); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	p := &logPrinter{w: &out, headers: true}
	ta, tb := &logTail{path: a}, &logTail{path: b}
	poll := func() { p.tail(ta); p.tail(tb) }

	poll() // nothing there yet
	appendTo(b, "web 1\nweb 2 begins")
	poll()
	appendTo(b, " and ends\n")
	appendTo(a, "run 1\n")
	poll()
	appendTo(b, "web 3, the last of the old file\n")
	if err := os.Rename(b, b+".1"); err != nil { // rotation
		t.Fatal(err)
	}
	appendTo(b, "web 4, the new file\n")
	poll()
	poll() // nothing new: nothing printed twice

	want := "==> " + b + " <==\nweb 1\n\n" +
		"==> " + a + " <==\nrun 1\n\n" + // run.log is polled first
		"==> " + b + " <==\nweb 2 begins and ends\nweb 3, the last of the old file\nweb 4, the new file\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("followed output (-want +got):\n%s", diff)
	}
}

package remote_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/google/go-cmp/cmp"
)

func TestPrepareModes(t *testing.T) {
	eachFileHost(t, func(t *testing.T, ex remote.Executor) {
		s := stage(t, ex)
		// Idempotent, and an existing stage dir of ours gets its mode back.
		if _, err := ex.Run(testCtx(t), remote.Cmd{Argv: []string{"chmod", "755", s}}); err != nil {
			t.Fatal(err)
		}
		if err := ex.Prepare(testCtx(t), s); err != nil {
			t.Fatal(err)
		}
		res, err := ex.Run(testCtx(t), remote.Cmd{Argv: []string{"stat", "-c", "%a", path.Dir(s), s}})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"1777", "700"}, res.Tail); diff != "" {
			t.Errorf("modes of the work and stage dirs (-want +got):\n%s", diff)
		}
	})
}

func TestUploadFetch(t *testing.T) {
	eachFileHost(t, func(t *testing.T, ex remote.Executor) {
		s := stage(t, ex)
		ctx := testCtx(t)
		for _, tc := range []struct {
			name string
			mode fs.FileMode
			data string
		}{
			{"prog", 0o755, "#!/bin/sh\necho hi\n"},
			{"conf.json", 0o640, `{"a": "b c"}`}, // no final newline
			{"empty", 0o600, ""},
		} {
			p := path.Join(s, tc.name)
			if err := ex.Upload(ctx, p, strings.NewReader(tc.data), tc.mode); err != nil {
				t.Fatalf("upload %s: %v", tc.name, err)
			}
			res, err := ex.Run(ctx, remote.Cmd{Argv: []string{"stat", "-c", "%a", p}})
			if err != nil {
				t.Fatal(err)
			}
			if want := strconv.FormatUint(uint64(tc.mode), 8); res.Tail[0] != want {
				t.Errorf("%s: mode %s, want %s", tc.name, res.Tail[0], want)
			}
			got, err := ex.Fetch(ctx, p)
			if err != nil {
				t.Fatalf("fetch %s: %v", tc.name, err)
			}
			if diff := cmp.Diff(tc.data, string(got)); diff != "" {
				t.Errorf("%s: fetched content (-want +got):\n%s", tc.name, diff)
			}
		}
		// Overwrite an existing file.
		p := path.Join(s, "prog")
		if err := ex.Upload(ctx, p, strings.NewReader("v2"), 0o755); err != nil {
			t.Fatal(err)
		}
		if got, _ := ex.Fetch(ctx, p); string(got) != "v2" {
			t.Errorf("after overwrite: %q", got)
		}
		_, err := ex.Fetch(ctx, path.Join(s, "bootout.json"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("fetch missing: err = %v, want fs.ErrNotExist", err)
		}
	})
}

func TestRunExitStatusAndTail(t *testing.T) {
	eachHost(t, func(t *testing.T, h host, ex remote.Executor) {
		var stdout bytes.Buffer
		res, err := ex.Run(testCtx(t), remote.Cmd{
			Argv:   []string{"/bin/sh", "-c", `i=1; while [ $i -le 29 ]; do echo "line $i"; i=$((i+1)); done; printf 'line 30'; exit 3`},
			Stdout: &stdout,
		})
		var xe *remote.ExitError
		if !errors.As(err, &xe) {
			t.Fatalf("err = %v, want *ExitError", err)
		}
		if xe.Status != 3 || res.ExitStatus != 3 {
			t.Errorf("status = %d / %d, want 3", xe.Status, res.ExitStatus)
		}
		if !strings.Contains(xe.Error(), "sh on ") || !strings.Contains(xe.Error(), "exit status 3") {
			t.Errorf("message %q", xe.Error())
		}
		var want []string
		for i := 31 - remote.TailLines; i <= 30; i++ {
			want = append(want, "line "+strconv.Itoa(i))
		}
		if diff := cmp.Diff(want, res.Tail); diff != "" {
			t.Errorf("tail (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want, xe.Tail); diff != "" {
			t.Errorf("ExitError.Tail (-want +got):\n%s", diff)
		}
		// Whole lines reach the writer; the unterminated last one gets a newline.
		if !strings.HasPrefix(stdout.String(), "line 1\nline 2\n") || !strings.HasSuffix(stdout.String(), "line 29\nline 30\n") {
			t.Errorf("stdout = %q", stdout.String())
		}
	})
}

func TestRunStderr(t *testing.T) {
	eachHost(t, func(t *testing.T, h host, ex remote.Executor) {
		var stderr bytes.Buffer
		res, err := ex.Run(testCtx(t), remote.Cmd{
			Argv:   []string{"/bin/sh", "-c", "echo oops >&2; echo second >&2"},
			Stderr: &stderr,
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff("oops\nsecond\n", stderr.String()); diff != "" {
			t.Errorf("stderr (-want +got), no pid marker expected:\n%s", diff)
		}
		if diff := cmp.Diff([]string{"oops", "second"}, res.Tail); diff != "" {
			t.Errorf("tail (-want +got):\n%s", diff)
		}
	})
}

func TestRunArgvDirEnv(t *testing.T) {
	args := []string{"a b", "it's", `"dq"`, "$HOME", "`id`", "*", "", "x;y&z|w", `back\slash`}
	eachHost(t, func(t *testing.T, h host, ex remote.Executor) {
		s := stage(t, ex)
		res, err := ex.Run(testCtx(t), remote.Cmd{
			Argv: append([]string{"/bin/sh", "-c", `pwd; echo "$GREETING"; for a in "$@"; do printf '[%s]\n' "$a"; done`, "sh"}, args...),
			Dir:  s,
			Env:  map[string]string{"GREETING": "hello $USER 'q'"},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{s, "hello $USER 'q'"}
		for _, a := range args {
			want = append(want, "["+a+"]")
		}
		if diff := cmp.Diff(want, res.Tail); diff != "" {
			t.Errorf("output (-want +got):\n%s", diff)
		}
	})
}

func TestRunDeadlineKillsProcessGroup(t *testing.T) {
	eachHost(t, func(t *testing.T, h host, ex remote.Executor) {
		token := "1000." + strconv.FormatInt(time.Now().UnixNano()%1000000, 10)
		// The program spawns children (in the background and in a subshell)
		// and waits; all of them must be gone after the deadline.
		prog := `sleep ` + token + ` & (sleep ` + token + `; true) & echo started; wait`
		// The connection's shell starts first, outside the deadline: as
		// root on a loaded machine its login shell's start-up files alone
		// can take longer than the deadline (the service's SSH check
		// starts it before any program, too).
		if _, err := ex.Run(testCtx(t), remote.Cmd{Argv: []string{"true"}}); err != nil {
			t.Fatal(err)
		}
		// Long enough for a loaded machine to start the program and print.
		ctx, cancel := context.WithTimeout(testCtx(t), 3*time.Second)
		defer cancel()
		res, err := ex.Run(ctx, remote.Cmd{Argv: []string{"/bin/sh", "-c", prog}})
		if !errors.Is(err, remote.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want ErrTimeout and DeadlineExceeded", err)
		}
		if !slicesContains(res.Tail, "started") {
			t.Errorf("tail %q lacks the output before the deadline", res.Tail)
		}
		if pids := procsWith(t, "sleep\x00"+token); len(pids) > 0 {
			t.Errorf("processes survived the deadline: %v", pids)
		}
	})
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// procsWith lists live (non-zombie) processes whose command line contains
// needle (arguments separated by NUL).
func procsWith(t *testing.T, needle string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var found []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !bytes.Contains(b, []byte(needle)) {
			continue
		}
		found = append(found, e.Name()+": "+strings.ReplaceAll(string(b), "\x00", " "))
	}
	return found
}

// TestRunTailByteCap: the tail is bounded in bytes as well as lines; an
// enormous last line keeps its end.
func TestRunTailByteCap(t *testing.T) {
	eachHost(t, func(t *testing.T, h host, ex remote.Executor) {
		script := `head -c 3000 /dev/zero | tr '\0' a; echo; head -c 3000 /dev/zero | tr '\0' b; echo; echo short; exit 1`
		res, _ := ex.Run(testCtx(t), remote.Cmd{Argv: []string{"/bin/sh", "-c", script}})
		want := []string{strings.Repeat("b", 3000), "short"}
		if diff := cmp.Diff(want, res.Tail); diff != "" {
			t.Errorf("tail (-want +got):\n%s", diff)
		}
		script = `head -c 70000 /dev/zero | tr '\0' c; echo END; exit 1`
		_, err := ex.Run(testCtx(t), remote.Cmd{Argv: []string{"/bin/sh", "-c", script}})
		var xe *remote.ExitError
		if !errors.As(err, &xe) {
			t.Fatalf("err = %v, want *ExitError", err)
		}
		size := 0
		for _, l := range xe.Tail {
			size += len(l)
		}
		last := xe.Tail[len(xe.Tail)-1]
		if size > remote.TailBytes || !strings.HasPrefix(last, remote.TailCut) || !strings.HasSuffix(last, "cccEND") {
			t.Errorf("tail of %d lines, %d bytes (max %d); last line %.20q…%q", len(xe.Tail), size, remote.TailBytes, last, last[max(0, len(last)-10):])
		}
	})
}

package remote_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/remote/remotetest"
	"github.com/google/go-cmp/cmp"
)

// inprocExec connects a fresh pool to a new in-process server.
func inprocExec(t *testing.T) (*remotetest.Server, remote.Executor) {
	t.Helper()
	signer, keyPath := remotetest.NewKey(t)
	srv := remotetest.NewServer(t, signer.PublicKey())
	return srv, openSSH(t, srv.Host(), srv.Port(), keyPath, nil)
}

// TestCommandsShareOneShell: a service's commands (with their own
// directory, environment, exit status and output) run in one exec session.
func TestCommandsShareOneShell(t *testing.T) {
	srv, ex := inprocExec(t)
	s := stage(t, ex)
	before := srv.Execs() // stage's Prepare: the shell starts there
	for i := range 5 {
		res, err := ex.Run(testCtx(t), remote.Cmd{
			Argv: []string{"/bin/sh", "-c", `echo "$N $(pwd)"; echo err >&2; exit "$N"`},
			Dir:  s,
			Env:  map[string]string{"N": strconv.Itoa(i)},
		})
		var xe *remote.ExitError
		if i > 0 && (!errors.As(err, &xe) || xe.Status != i || res.ExitStatus != i) {
			t.Fatalf("run %d: err = %v, status %d", i, err, res.ExitStatus)
		}
		if i == 0 && err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(sorted([]string{strconv.Itoa(i) + " " + s, "err"}), sorted(res.Tail)); diff != "" {
			t.Errorf("run %d tail (-want +got):\n%s", i, diff)
		}
	}
	if got := srv.Execs(); got != 1 || before != 1 {
		t.Errorf("exec sessions = %d (%d after Prepare), want 1 for every command", got, before)
	}
}

// TestRefusedPrepareKeepsTheShell: Prepare's script runs in the
// persistent shell itself; a refusal, a success and `true` leave it
// serving the next commands with its directory and umask as they were.
func TestRefusedPrepareKeepsTheShell(t *testing.T) {
	srv, ex := inprocExec(t)
	ctx := testCtx(t)
	wd := filepath.Join(t.TempDir(), "nimbusready")
	if err := os.WriteFile(wd, nil, 0o600); err != nil { // not a directory: refused
		t.Fatal(err)
	}
	before, err := ex.Run(ctx, remote.Cmd{Argv: []string{"/bin/sh", "-c", "pwd; umask"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ex.Prepare(ctx, remote.StageDir(wd, "svc")); !errors.Is(err, remote.ErrWorkDir) {
		t.Fatalf("Prepare = %v, want ErrWorkDir", err)
	}
	if err := ex.Prepare(ctx, remote.StageDir(filepath.Join(t.TempDir(), "w"), "svc")); err != nil {
		t.Fatal(err)
	}
	if _, err := ex.Run(ctx, remote.Cmd{Argv: []string{"true"}}); err != nil {
		t.Fatal(err)
	}
	after, err := ex.Run(ctx, remote.Cmd{Argv: []string{"/bin/sh", "-c", "pwd; umask"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before.Tail, after.Tail); diff != "" {
		t.Errorf("directory and umask after Prepare (-before +after):\n%s", diff)
	}
	if got := srv.Execs(); got != 1 {
		t.Errorf("exec sessions = %d, want 1: the shell survives a refused Prepare", got)
	}
}

// TestProgramStdinIsEmpty: a program reading stdin gets EOF at once, not
// the commands that follow, and the shell still serves them.
func TestProgramStdinIsEmpty(t *testing.T) {
	eachHost(t, func(t *testing.T, h host, ex remote.Executor) {
		for range 2 {
			res, err := ex.Run(testCtx(t), remote.Cmd{
				Argv: []string{"/bin/sh", "-c", `if read x; then echo "read: $x"; else echo eof; fi; cat; echo done`},
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"eof", "done"}, res.Tail); diff != "" {
				t.Errorf("tail (-want +got):\n%s", diff)
			}
		}
	})
}

// TestFakeMarkersInOutput: output that looks like the shell's end markers
// (another nonce, a marker's start cut off, no final newline) is output.
func TestFakeMarkersInOutput(t *testing.T) {
	prog := `echo "cloudinitd-end-0123456789abcdef01234567:0"; ` +
		`printf 'cloudinitd-end-0123456789abcdef01234567:\n' >&2; ` +
		`printf 'x cloudinitd-end-'; sleep 0.1; printf 'cloudinitd-en'; exit 7`
	eachHost(t, func(t *testing.T, h host, ex remote.Executor) {
		for range 2 {
			res, err := ex.Run(testCtx(t), remote.Cmd{Argv: []string{"/bin/sh", "-c", prog}})
			var xe *remote.ExitError
			if !errors.As(err, &xe) || xe.Status != 7 {
				t.Fatalf("err = %v, want exit status 7", err)
			}
			want := []string{"cloudinitd-end-0123456789abcdef01234567:0", "cloudinitd-end-0123456789abcdef01234567:",
				"x cloudinitd-end-cloudinitd-en"}
			// stdout and stderr interleave in arrival order: compare as sets.
			if diff := cmp.Diff(sorted(want), sorted(res.Tail)); diff != "" {
				t.Errorf("tail (-want +got):\n%s", diff)
			}
		}
	})
}

// TestDeadlineInShellThenNextCommand: a command that times out in the
// persistent shell has its process tree killed (through one extra
// session); the next command gets a new shell.
func TestDeadlineInShellThenNextCommand(t *testing.T) {
	srv, ex := inprocExec(t)
	if _, err := ex.Run(testCtx(t), remote.Cmd{Argv: []string{"true"}}); err != nil {
		t.Fatal(err)
	}
	token := "1000." + strconv.FormatInt(time.Now().UnixNano()%1000000, 10)
	prog := `sleep ` + token + ` & (sleep ` + token + `; true) & echo started; wait`
	ctx, cancel := context.WithTimeout(testCtx(t), 3*time.Second)
	defer cancel()
	res, err := ex.Run(ctx, remote.Cmd{Argv: []string{"/bin/sh", "-c", prog}})
	if !errors.Is(err, remote.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if !slicesContains(res.Tail, "started") {
		t.Errorf("tail %q lacks the output before the deadline", res.Tail)
	}
	if pids := procsWith(t, "sleep\x00"+token); len(pids) > 0 {
		t.Errorf("processes survived the deadline: %v", pids)
	}
	res, err = ex.Run(testCtx(t), remote.Cmd{Argv: []string{"echo", "after"}})
	if err != nil || !slicesContains(res.Tail, "after") {
		t.Fatalf("command after the deadline: %v, tail %q", err, res.Tail)
	}
	// The shell, the kill session, the new shell.
	if got := srv.Execs(); got != 3 {
		t.Errorf("exec sessions = %d, want 3", got)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestAgentShell: ForwardAgent commands share a second shell that has the
// agent; the others keep the plain one, without SSH_AUTH_SOCK.
func TestAgentShell(t *testing.T) {
	key := remotetest.NewEd25519(t)
	sock := remotetest.StartAgent(t, key)
	signer, keyPath := remotetest.NewKey(t)
	srv := remotetest.NewServer(t, signer.PublicKey())
	ex := openSSH(t, srv.Host(), srv.Port(), keyPath, map[string]string{"SSH_AUTH_SOCK": sock})
	for _, fwd := range []bool{false, true, true, false} {
		res, err := ex.Run(testCtx(t), remote.Cmd{
			Argv:         []string{"/bin/sh", "-c", `if [ -n "$SSH_AUTH_SOCK" ]; then ssh-add -l >/dev/null && echo agent; else echo none; fi`},
			ForwardAgent: fwd,
		})
		want := map[bool]string{false: "none", true: "agent"}[fwd]
		if err != nil || len(res.Tail) != 1 || res.Tail[0] != want {
			t.Errorf("ForwardAgent %v: %q %v, want %q", fwd, res.Tail, err, want)
		}
	}
	if got := srv.Execs(); got != 2 {
		t.Errorf("exec sessions = %d, want 2 (a plain shell and one with the agent)", got)
	}
}

// TestNoShellFallsBackToExec: on a host where the persistent shell does
// not start, every command runs in an exec session of its own, with the
// same results; the shell is tried once per connection.
func TestNoShellFallsBackToExec(t *testing.T) {
	srv, ex := inprocExec(t)
	srv.RewriteExec(func(cmd string) string {
		if cmd == "exec /bin/sh" {
			return "echo no shell for you; exit 1"
		}
		return cmd
	})
	for i := range 3 {
		res, err := ex.Run(testCtx(t), remote.Cmd{Argv: []string{"/bin/sh", "-c", `echo "run $1"; exit "$1"`, "sh", strconv.Itoa(i)}})
		var xe *remote.ExitError
		if (i == 0 && err != nil) || (i > 0 && (!errors.As(err, &xe) || xe.Status != i)) {
			t.Fatalf("run %d: %v", i, err)
		}
		if diff := cmp.Diff([]string{"run " + strconv.Itoa(i)}, res.Tail); diff != "" {
			t.Errorf("run %d tail (-want +got):\n%s", i, diff)
		}
	}
	if got := srv.Execs(); got != 4 {
		t.Errorf("exec sessions = %d, want 4 (the refused shell, then one per command)", got)
	}
}

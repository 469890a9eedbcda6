package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
)

// errRunTimeout is the cause of run's context when --timeout is reached.
var errRunTimeout = errors.New("--timeout reached")

// commandResult is how COMMAND ended.
type commandResult struct {
	code    int       // its exit status (128+N when killed by signal N)
	err     error     // why it could not start, or how it ended badly
	stopped os.Signal // the stop signal passed to it, if any
}

// stopSignal is the signal that stopped run: the first relayed one, or
// SIGTERM after --timeout (and for a context canceled without a relayed
// signal, in a test).
func stopSignal(sigs <-chan os.Signal) os.Signal {
	select {
	case s := <-sigs:
		return s
	default:
	}
	return syscall.SIGTERM
}

// execCommand starts argv on this machine with environ, in its own process
// group (so that a stop reaches everything it started, and a terminal's
// Ctrl-C reaches run alone, which passes it on once), and waits for it.
// When ctx is done (a stop signal, --timeout), the signal that stopped run
// (SIGTERM for a timeout) goes to the group; after grace, or at the next
// stop signal, SIGKILL does. Once COMMAND has exited, whatever it left
// running in its process group is killed. out and errw are its standard
// output and error; its output passes through them, so secrets are masked
// in it too.
func execCommand(ctx context.Context, argv, environ []string, in io.Reader, out, errw io.Writer,
	sigs <-chan os.Signal, grace time.Duration, say func(format string, args ...any)) commandResult {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = environ
	cmd.Stdin, cmd.Stdout, cmd.Stderr = in, out, errw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Output pipes left open by a background child must not hold run.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		code := cl.ExitCannotExecute
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			code = cl.ExitNotFound
		}
		return commandResult{code: code, err: fmt.Errorf("command %s: %w", argv[0], err)}
	}
	// Told when COMMAND has exited, before it is reaped: its pid, hence
	// its process group's id, cannot be reused until then.
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		var si unix.Siginfo
		for unix.Waitid(unix.P_PID, cmd.Process.Pid, &si, unix.WEXITED|unix.WNOWAIT, nil) == unix.EINTR {
		}
	}()
	var res commandResult
	group := -cmd.Process.Pid
	var kill <-chan time.Time
	stopping := ctx.Done()
	for {
		select {
		case <-exited:
			// What COMMAND left in the background goes with it.
			syscall.Kill(group, syscall.SIGKILL)
			res.code, res.err = exitStatus(cmd.Wait())
			return res
		case <-stopping:
			stopping = nil
			if res.stopped == nil {
				res.stopped = stopSignal(sigs)
			}
			why := signalName(res.stopped)
			if errors.Is(context.Cause(ctx), errRunTimeout) {
				why = "--timeout reached"
			}
			pass := forwarded(res.stopped)
			say("%s: %s: passing %s to the command (pid %d), killing it after %s", progName, why,
				signalName(pass), cmd.Process.Pid, grace)
			syscall.Kill(group, pass)
			t := time.NewTimer(grace)
			defer t.Stop()
			kill = t.C
		case s := <-sigs:
			if stopping != nil {
				// A signal before ctx says so: handled with ctx.Done.
				res.stopped = s
				continue
			}
			say("%s: %s again: killing the command now", progName, signalName(s))
			syscall.Kill(group, syscall.SIGKILL)
		case <-kill:
			kill = nil
			say("%s: the command did not stop within %s: killing it", progName, grace)
			syscall.Kill(group, syscall.SIGKILL)
		}
	}
}

// forwarded is the signal COMMAND gets when run is stopped by s: s itself,
// but SIGTERM for a closed output (SIGPIPE), which is run's, not COMMAND's.
func forwarded(s os.Signal) syscall.Signal {
	if ss, ok := s.(syscall.Signal); ok && ss != syscall.SIGPIPE {
		return ss
	}
	return syscall.SIGTERM
}

// exitStatus reads a finished command's status: its exit code, or 128+N
// when signal N killed it.
func exitStatus(err error) (int, error) {
	if err == nil || errors.Is(err, exec.ErrWaitDelay) {
		// ErrWaitDelay: it exited 0, but something it started kept its
		// output open (and is killed with its process group).
		return 0, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return cl.ExitSignalBase + int(ws.Signal()), fmt.Errorf("command killed by %s", signalName(ws.Signal()))
		}
		return ee.ExitCode(), fmt.Errorf("command exited with status %d", ee.ExitCode())
	}
	return cl.ExitFailed, fmt.Errorf("command: %w", err)
}

// signalName is "SIGTERM" for syscall.SIGTERM.
func signalName(s os.Signal) string {
	if ss, ok := s.(syscall.Signal); ok {
		for _, n := range []struct {
			s    syscall.Signal
			name string
		}{{syscall.SIGINT, "SIGINT"}, {syscall.SIGTERM, "SIGTERM"}, {syscall.SIGHUP, "SIGHUP"},
			{syscall.SIGKILL, "SIGKILL"}, {syscall.SIGPIPE, "SIGPIPE"}} {
			if n.s == ss {
				return n.name
			}
		}
	}
	return strings.ToUpper(s.String())
}

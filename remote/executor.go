package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// Executor runs programs and moves files on one host. Implementations: *SSH
// (a pooled connection to a remote host) and *Local (this machine, for
// local_exe services). An Executor is safe for concurrent use.
type Executor interface {
	// Prepare creates the working directory path.Dir(stageDir), shared, with
	// mode 1777 (an existing one is used as it is when it is the user's, or
	// root's and sticky or not writable by others), and then stageDir,
	// private: mode 0700, the user's own. A symbolic link, another user's
	// directory or a mode that cannot be set fails with ErrWorkDir.
	// Idempotent.
	Prepare(ctx context.Context, stageDir string) error
	// Upload writes data to dst with the given permission bits, replacing an
	// existing file atomically (write to a temporary name, then rename).
	// The parent directory must exist.
	Upload(ctx context.Context, dst string, data io.Reader, mode fs.FileMode) error
	// Run runs cmd and waits for it. A non-zero exit returns the Result and
	// an *ExitError. When ctx ends first the command's whole process group is
	// killed (TERM, then KILL after a grace period) and the error wraps
	// ErrTimeout (deadline) or context.Canceled together with ctx.Err().
	Run(ctx context.Context, cmd Cmd) (Result, error)
	// Fetch returns the content of the file at p. A missing file yields an
	// error that wraps fs.ErrNotExist.
	Fetch(ctx context.Context, p string) ([]byte, error)
	// Host names the host for messages ("local" for *Local).
	Host() string
	// Close releases the executor (for *SSH: its reference to the pooled
	// connection). Later calls fail.
	Close() error
}

// Cmd is one program to run.
type Cmd struct {
	// Argv is the program and its arguments, each a separate word delivered
	// exactly (no shell interpretation on either side).
	Argv []string
	// Dir is the working directory; empty means the login directory (SSH)
	// or the current directory (local).
	Dir string
	// Env adds variables to the program's environment.
	Env map[string]string
	// Stdout and Stderr, when set, receive the output one complete line per
	// Write call (a final unterminated line is written when the program ends).
	Stdout, Stderr io.Writer
	// Stdin, when set, is copied to the program's standard input.
	Stdin io.Reader
	// ForwardAgent forwards the local ssh-agent to the program (ssh -A).
	// Ignored by *Local, whose programs inherit the environment anyway.
	ForwardAgent bool
	// TTY, when set, runs the program on a pseudo-terminal of the host (an
	// interactive shell): its output reaches Stdout as it comes, unsplit
	// (the terminal merges stderr into it), and the Result keeps no tail.
	// A host that offers no terminal fails with ErrNoTTY, as *Local does.
	TTY *TTY

	// inline marks a script of package remote ("/bin/sh -c SCRIPT NAME
	// ARGS..."), which a persistent shell runs itself (inShellCommand).
	inline bool
}

// TTY describes the terminal a Cmd asks for.
type TTY struct {
	Term          string // the TERM value, "xterm" when empty
	Width, Height int    // in characters; 80x24 when zero
}

// ErrNoTTY is returned for a Cmd with a TTY on a host that offers no
// terminal (the local driver's server, local execution).
var ErrNoTTY = errors.New("no terminal on this host")

// TailLines is how many trailing output lines a Result keeps.
const TailLines = 20

// TailBytes bounds the bytes of those lines together: older lines go first,
// and a single longer line keeps only its last TailBytes bytes, after
// TailCut.
const TailBytes = 4 << 10

// TailCut starts a tail line that was cut to TailBytes.
const TailCut = "[…] "

// Result describes a finished (or killed) command.
type Result struct {
	// ExitStatus is the program's exit status; 128+n when it died of signal n
	// (locally), -1 when it is unknown (killed on deadline, connection lost).
	ExitStatus int
	// Tail holds the last TailLines lines of stdout and stderr interleaved in
	// arrival order, TailBytes at most.
	Tail []string
}

// ErrTimeout is wrapped by the error of a Run whose context deadline passed.
var ErrTimeout = errors.New("timed out")

// ExitError reports a command that exited with a non-zero status.
type ExitError struct {
	Host   string
	Cmd    []string
	Status int
	// Signal names the signal that ended the program, if the host said so.
	Signal string
	Tail   []string
}

func (e *ExitError) Error() string {
	name := "command"
	if len(e.Cmd) > 0 {
		name = path.Base(e.Cmd[0])
	}
	if e.Signal != "" {
		return fmt.Sprintf("%s on %s: killed by signal %s", name, e.Host, e.Signal)
	}
	return fmt.Sprintf("%s on %s: exit status %d", name, e.Host, e.Status)
}

// deadlineError builds the error of a Run ended by its context; killed says
// whether a started program's process group was killed.
func deadlineError(ctx context.Context, host string, argv []string, killed bool) error {
	name := "command"
	if len(argv) > 0 {
		name = path.Base(argv[0])
	}
	what := "not started"
	if killed {
		what = "process group killed"
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s on %s: %w, %s: %w", name, host, ErrTimeout, what, ctx.Err())
	}
	return fmt.Errorf("%s on %s: %s: %w", name, host, what, ctx.Err())
}

// validEnvName reports whether k can be exported by a POSIX shell.
func validEnvName(k string) bool {
	if k == "" || (k[0] >= '0' && k[0] <= '9') {
		return false
	}
	return strings.IndexFunc(k, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) < 0
}

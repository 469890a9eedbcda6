package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cloudinitd/cloudinitd/plan"
)

// Exit codes: one table, documented in docs/cli.md, mapped by [ExitCode].
const (
	ExitOK          = 0   // the command did what was asked
	ExitFailed      = 1   // the operation failed (a service, a cloud call, a file)
	ExitUsage       = 2   // the command line is wrong
	ExitInvalidPlan = 3   // the launch plan has problems or failed -x; nothing was started
	ExitInterrupted = 130 // interrupted (Ctrl-C, SIGTERM, SIGHUP, closed output)
)

// Exit codes of 'cloudinitd run' besides its COMMAND's own status (the
// table of docs/ci.md), carried by a [*StatusError].
const (
	ExitTimeout       = 124 // run --timeout was reached (as timeout(1))
	ExitCannotExecute = 126 // COMMAND exists but could not be executed (as sh)
	ExitNotFound      = 127 // COMMAND was not found (as sh)
	ExitSignalBase    = 128 // 128+N: stopped by signal N (SIGTERM: 143)
)

// StatusError is an error that decides its own exit status: 'cloudinitd
// run' exits with its COMMAND's status, 128+N after signal N, 124 after
// --timeout. Err says what happened (printed like any error); Code is the
// status.
type StatusError struct {
	Code int
	Err  error
}

func (e *StatusError) Error() string { return e.Err.Error() }
func (e *StatusError) Unwrap() error { return e.Err }

// ErrNotValid marks a failure of -x (boot, reload): the plan loaded, but a
// check made before anything is launched found a problem. It exits like an
// invalid plan.
var ErrNotValid = errors.New("not valid")

// NotValid marks err as a -x failure ([ErrNotValid]); its text is err's.
// A nil err stays nil.
func NotValid(err error) error {
	if err == nil {
		return nil
	}
	return &notValid{err}
}

type notValid struct{ err error }

func (e *notValid) Error() string        { return e.err.Error() }
func (e *notValid) Unwrap() error        { return e.err }
func (e *notValid) Is(target error) bool { return target == ErrNotValid }

// UsageError is a mistake on the command line.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a *UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// UserError carries hints: what the user can do about Err.
type UserError struct {
	Err   error
	Hints []string
}

func (e *UserError) Error() string { return e.Err.Error() }
func (e *UserError) Unwrap() error { return e.Err }

// WithHint attaches hints to err. A nil err stays nil.
func WithHint(err error, hints ...string) error {
	if err == nil {
		return nil
	}
	return &UserError{Err: err, Hints: hints}
}

// ExitCode maps an error to the exit code of the table above. It is the only
// place that makes that decision.
func ExitCode(err error) int {
	var ue *UsageError
	var se *StatusError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &se):
		return se.Code
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &ue):
		return ExitUsage
	case errors.Is(err, plan.ErrInvalid), errors.Is(err, ErrNotValid):
		return ExitInvalidPlan
	default:
		return ExitFailed
	}
}

// PrintError writes err the way users see it: one "prog: error:" line per
// line of the message, then the hints. Control characters in the message
// (a failing program's output tail, a cloud's error text) are escaped
// ([Sanitize]): an error is for people, wherever it goes.
func PrintError(w io.Writer, prog string, err error) {
	if err == nil {
		return
	}
	if errors.Is(err, context.Canceled) {
		// The cause is the user's Ctrl-C; what matters is what to do next.
		fmt.Fprintf(w, "%s: interrupted\n", prog)
	} else {
		lines := strings.Split(strings.TrimRight(err.Error(), "\n"), "\n")
		fmt.Fprintf(w, "%s: error: %s\n", prog, Sanitize(lines[0]))
		for _, l := range lines[1:] {
			fmt.Fprintf(w, "  %s\n", Sanitize(l))
		}
	}
	for _, h := range Hints(err) {
		fmt.Fprintf(w, "%s: hint: %s\n", prog, Sanitize(h))
	}
}

// Hints are what err says to do about it: a UserError's hints, or for a
// usage error the pointer to --help.
func Hints(err error) []string {
	var ue *UserError
	var usage *UsageError
	switch {
	case errors.As(err, &ue):
		return ue.Hints
	case errors.As(err, &usage):
		return []string{"run 'cloudinitd --help' for usage"}
	}
	return nil
}

package local

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// opError is a failed driver call: its text reads "local: op: cause" and
// errors.Is finds both the class (an iaas sentinel) and the cause.
type opError struct {
	op    string
	class error
	err   error
}

func (e *opError) Error() string   { return fmt.Sprintf("local: %s: %v", e.op, e.err) }
func (e *opError) Unwrap() []error { return []error{e.class, e.err} }

// classify wraps err for op: context errors keep their own identity (the
// caller gave up; no class), others get class.
func classify(op string, class, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("local: %s: %w", op, err)
	}
	return &opError{op: op, class: class, err: err}
}

// permanentError marks a cause that no retry can fix (the executable is
// missing or does not serve instances).
type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

// launchError classifies a launch failure.
func launchError(err error) error {
	var p permanentError
	if errors.As(err, &p) {
		return classify("launch", iaas.ErrPermanent, err)
	}
	return classify("launch", iaas.ErrTransient, err)
}

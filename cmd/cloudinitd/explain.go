package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/remote"
)

// explain turns an engine error into what the user should see: each failed
// service with its step, the last lines of the program's output and the
// log file, plus hints, and what to do next with the run.
func explain(err error, run string, next ...string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	svcErrs := serviceErrors(err)
	if len(svcErrs) == 0 {
		return cl.WithHint(err, next...)
	}
	var b strings.Builder
	var hints []string
	for i, se := range svcErrs {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(se.Error())
		if tail := se.Tail(); len(tail) > 0 {
			fmt.Fprintf(&b, "\noutput (last %d lines):", len(tail))
			for _, l := range tail {
				b.WriteString("\n  | " + l)
			}
		}
		if se.LogFile != "" {
			b.WriteString("\nlog: " + se.LogFile)
		}
		h := se.Hint()
		if se.LogFile != "" && h == "see "+se.LogFile {
			h = "" // the "log:" line above says it: one mention per log
		}
		if errors.Is(se, remote.ErrHostKeyMismatch) {
			h = fmt.Sprintf("the host of %s offered another SSH key than the one recorded: if it was rebuilt (check that), "+
				"'cloudinitd hostkey forget %s %s' and try again; otherwise someone may be in the way", se.Service, run, se.Service)
		}
		if h != "" && !slices.Contains(hints, h) {
			hints = append(hints, h)
		}
	}
	return &cl.UserError{Err: &wrapped{msg: b.String(), err: err}, Hints: append(hints, next...)}
}

// wrapped keeps err for errors.Is/As while showing msg.
type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }

// serviceErrors collects every *bootlevel.ServiceError in err's tree, in
// order, once each.
func serviceErrors(err error) []*bootlevel.ServiceError {
	var out []*bootlevel.ServiceError
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if se, ok := e.(*bootlevel.ServiceError); ok {
			out = append(out, se)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

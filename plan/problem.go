package plan

import (
	"cmp"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ErrInvalid is matched (errors.Is) by the error [Load] returns for a plan
// with problems.
var ErrInvalid = errors.New("invalid plan")

// Problem is one thing wrong with a plan, located as precisely as known.
type Problem struct {
	// File is relative to the top file's directory when inside it,
	// absolute otherwise. Empty for problems with command-line input.
	File    string
	Section string
	Key     string
	Line    int
	Msg     string
	// Warning marks a problem that does not stop the plan from loading.
	Warning bool
}

// Error renders the problem as "<file>:<line>: [<section>] <key>: <msg>",
// leaving out the parts that are unknown; warnings say so before msg.
func (p Problem) Error() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			b.WriteString(":" + strconv.Itoa(p.Line))
		}
		b.WriteString(": ")
	}
	if p.Section != "" {
		b.WriteString("[" + p.Section + "] ")
	}
	if p.Key != "" {
		b.WriteString(p.Key + ": ")
	}
	if p.Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// InvalidError is returned by [Load] when a plan has at least one error.
// It carries every error found, sorted by file and line.
type InvalidError struct {
	Problems []Problem
	// Warnings found on the way, also sorted; not part of Error().
	Warnings []Problem
}

// Error returns "invalid plan: N problems" followed by one line per problem.
func (e *InvalidError) Error() string {
	var b strings.Builder
	n := len(e.Problems)
	fmt.Fprintf(&b, "invalid plan: %d problem", n)
	if n != 1 {
		b.WriteString("s")
	}
	for _, p := range e.Problems {
		b.WriteString("\n" + p.Error())
	}
	return b.String()
}

// Is reports whether target is [ErrInvalid].
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// problems collects the problems of one load.
type problems struct {
	base string // the top file's directory
	list []Problem
}

// rel shows path relative to the top file's directory when inside it.
func (ps *problems) rel(path string) string {
	if path == "" || ps.base == "" {
		return path
	}
	r, err := filepath.Rel(ps.base, path)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return path
	}
	return r
}

func (ps *problems) add(warn bool, file, section, key string, line int, format string, args ...any) {
	ps.list = append(ps.list, Problem{
		File: ps.rel(file), Section: section, Key: key, Line: line,
		Msg: fmt.Sprintf(format, args...), Warning: warn,
	})
}

// errorf records an error.
func (ps *problems) errorf(file, section, key string, line int, format string, args ...any) {
	ps.add(false, file, section, key, line, format, args...)
}

// warnf records a warning.
func (ps *problems) warnf(file, section, key string, line int, format string, args ...any) {
	ps.add(true, file, section, key, line, format, args...)
}

// split returns the errors and the warnings, each sorted and deduplicated.
func (ps *problems) split() (errs, warns []Problem) {
	for _, p := range ps.list {
		if p.Warning {
			warns = append(warns, p)
		} else {
			errs = append(errs, p)
		}
	}
	return sortProblems(errs), sortProblems(warns)
}

func sortProblems(ps []Problem) []Problem {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Section, b.Section),
			cmp.Compare(a.Key, b.Key),
			cmp.Compare(a.Msg, b.Msg),
		)
	})
	return slices.Compact(ps)
}

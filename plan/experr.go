package plan

import (
	"fmt"
	"slices"
	"strings"
)

// msgError is an error with our own message that still matches the
// resolver's error (or a sentinel) with errors.Is.
type msgError struct {
	msg string
	err error
}

func (e *msgError) Error() string { return e.msg }
func (e *msgError) Unwrap() error { return e.err }

// MissingAttrError is a Resolver's error for an attribute a service does
// not have, saying why (for example what became of its bootout.json); the
// expansion error shows Why after "service S has no attribute A". It
// matches ErrUnknownAttr.
type MissingAttrError struct{ Why string }

func (e *MissingAttrError) Error() string { return e.Why }
func (e *MissingAttrError) Unwrap() error { return ErrUnknownAttr }

// shownEnds is how many items a long chain shows at each end.
const shownEnds = 4

// refError is the failure of a token, reading like a path from the
// outermost token to the cause: "${a.b}: ${c.d}: service "c" has no
// attribute "d"". A long path shows its first and last tokens only, so a
// message stays short however deep the chain.
type refError struct {
	head    []string // outermost tokens
	tail    []string // innermost tokens, once head is full
	omitted int
	err     error
}

func (e *refError) Error() string {
	parts := append([]string(nil), e.head...)
	if e.omitted > 0 {
		parts = append(parts, fmt.Sprintf("… %d more …", e.omitted))
	}
	parts = append(parts, e.tail...)
	return strings.Join(parts, ": ") + ": " + e.err.Error()
}

func (e *refError) Unwrap() error { return e.err }

// depth is the number of tokens on the path.
func (e *refError) depth() int { return len(e.head) + e.omitted + len(e.tail) }

// wrapToken prefixes err with tok. A cycle error is prefixed only by the
// outermost expansion (top): its chain already names the way.
func wrapToken(tok string, err error, top bool) error {
	if ce, ok := err.(*cycleError); ok {
		if !top {
			return ce
		}
		return &refError{head: []string{tok}, err: ce}
	}
	re, ok := err.(*refError)
	if !ok {
		return &refError{head: []string{tok}, err: err}
	}
	out := &refError{head: append([]string{tok}, re.head...), tail: re.tail, omitted: re.omitted, err: re.err}
	if len(out.head) > shownEnds {
		spill := out.head[shownEnds]
		out.head = out.head[:shownEnds]
		if len(out.tail) < shownEnds {
			out.tail = append([]string{spill}, out.tail...)
		} else {
			out.omitted++
		}
	}
	return out
}

// cycleError is a reference cycle: the labels of its nodes in the order
// they were entered, shown starting at start.
type cycleError struct {
	cycle []string // shared by every node on the cycle
	base  int      // stack depth of cycle[0]
	start int
}

func (e *cycleError) Unwrap() error { return ErrCycle }

func (e *cycleError) Error() string {
	n := len(e.cycle)
	label := func(i int) string { return e.cycle[(e.start+i)%n] }
	var parts []string
	if n+1 <= 2*shownEnds+1 {
		for i := 0; i <= n; i++ {
			parts = append(parts, label(i))
		}
	} else {
		for i := range shownEnds {
			parts = append(parts, label(i))
		}
		parts = append(parts, fmt.Sprintf("… %d more …", n+1-2*shownEnds))
		for i := n + 1 - shownEnds; i <= n; i++ {
			parts = append(parts, label(i))
		}
	}
	return "reference cycle: " + strings.Join(parts, " -> ")
}

// notYet explains an attribute a bag row refers to that no row before it
// sets and that is not a field of the service.
func notYet(vw view, b *bag, attr string) error {
	idx := b.rowsOf(attr) // every one at or after vw.upto
	switch {
	case slices.Contains(idx, vw.upto):
		return &msgError{err: ErrLaterRow, msg: fmt.Sprintf(
			"service %q has no attribute %q yet: a bag row sees the rows before it, not itself", vw.svc, attr)}
	case len(idx) > 0:
		return &msgError{err: ErrLaterRow, msg: fmt.Sprintf(
			"service %q has no attribute %q yet: a bag row sees only the rows before it, and %q comes later", vw.svc, attr, attr)}
	}
	return &msgError{err: ErrUnknownAttr, msg: fmt.Sprintf(
		"service %q has no attribute %q yet: a bag row sees only the rows before it and the service's fields", vw.svc, attr)}
}

// laterRow explains a field or global used by a bag row that depends on
// that row or a later one.
func (x *Expander) laterRow(vw view, what string, row int) error {
	b, _ := x.bag(vw.svc)
	return &msgError{err: ErrLaterRow, msg: fmt.Sprintf(
		"%s of service %q uses its row %q, which is not before this row: a bag row sees only the rows before it", what, vw.svc, b.rows[row].Key)}
}

package plan

import (
	"fmt"
	"math"
	"strings"
)

// MaxValueSize is the largest value, in bytes, that expanding ${} tokens may
// produce; a longer one is an error wrapping [ErrTooLarge].
const MaxValueSize = 1 << 20

// MaxBagSize is the largest a service's expanded bag may be, in bytes of
// its values: what a bootconf template is filled from (a bootout.json is
// capped at 16 MiB too).
const MaxBagSize = 16 << 20

// Expander expands ${} tokens over one snapshot of a [Resolver], with
// cloudinit.d's rules:
//
//   - ${.attr} is the service doing the expansion (as is ${NAME.attr} with
//     its own name), ${NAME.attr} another service, ${global.name} a global
//     variable (its value expanded for the referring service).
//   - An attribute named by [BeforeBag] (hostname, run_name, ...) is
//     that field; else the last bag row with that key; else a field of the
//     service's record (Resolver.Field).
//   - A service's bag is expanded once, in order: a row sees only the rows
//     before it, then the fields. So `name: ${.name}` is the service's
//     name, and a row whose key only this or a later row sets is an error
//     wrapping [ErrLaterRow]. A field or global a row uses is expanded as
//     for the settings (seeing the whole bag); if that needs this row or a
//     later one, it is an ErrLaterRow error too.
//   - Settings, other services and bootconf templates see the whole bag.
//   - A value found is expanded again for the service that owns it; an
//     unset one leaves the token as written, an empty one is removed.
//   - A reference cycle is an error naming the chain (the original
//     recursed forever); a value over [MaxValueSize] is an error.
//
// Every row, field and global is expanded at most once per Expander (per
// service for a global that reads the referring service), so the work is
// linear in the size of what is expanded. An Expander is not safe for
// concurrent use; build a new one when the Resolver's values change.
type Expander struct {
	r     Resolver
	limit int
	// measure: compute only the length of each value, never the text (the
	// check at load: a plan of many large values costs no memory).
	measure bool
	bags    map[string]bagEntry
	fields  map[[2]string]*node // by service and attribute
	globals map[[2]string]*node // by service ("": any) and name
	stack   []*node             // the nodes being expanded, outermost first
}

// NewExpander returns an Expander over r.
func NewExpander(r Resolver) *Expander {
	return &Expander{r: r, limit: MaxValueSize, bags: map[string]bagEntry{},
		fields: map[[2]string]*node{}, globals: map[[2]string]*node{}}
}

// newMeasurer returns an Expander over r whose values have a length and
// no text.
func newMeasurer(r Resolver) *Expander {
	x := NewExpander(r)
	x.measure = true
	return x
}

// Expand expands s for service self, which sees its whole bag.
func (x *Expander) Expand(s, self string) (string, error) {
	v, err := x.expand(s, view{svc: self, upto: fullView}, true)
	return v.s, err
}

// Row expands row i of svc's bag as the bag is built: seeing the rows
// before it only.
func (x *Expander) Row(svc string, i int) (string, error) {
	b, err := x.bag(svc)
	if err != nil {
		return "", err
	}
	if i < 0 || i >= len(b.rows) {
		return "", fmt.Errorf("service %q has no bag row %d", svc, i)
	}
	if b.rows[i].Err != nil {
		return "", b.rows[i].Err
	}
	v, err := x.expand(b.rows[i].Value, view{svc: svc, upto: i}, true)
	return v.s, err
}

// Bag returns svc's bag rows in order, each expanded as by Row; errors
// name the row's key (a row that could not be read: its own error).
func (x *Expander) Bag(svc string) ([]Row, error) {
	b, err := x.bag(svc)
	if err != nil {
		return nil, err
	}
	out := make([]Row, len(b.rows))
	size := 0
	for i, r := range b.rows {
		if r.Err != nil {
			return nil, r.Err
		}
		v, err := x.Row(svc, i)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", r.Key, err)
		}
		if size += len(v); size > MaxBagSize {
			return nil, bagTooLarge(svc)
		}
		out[i] = Row{Key: r.Key, Value: v}
	}
	return out, nil
}

func bagTooLarge(svc string) error {
	return &msgError{msg: fmt.Sprintf("the bag of service %q expands to more than %d bytes", svc, MaxBagSize), err: ErrTooLarge}
}

// length is the length of s expanded for self, seeing its whole bag (Expand
// of a measuring Expander).
func (x *Expander) length(s, self string) (int, error) {
	v, err := x.expand(s, view{svc: self, upto: fullView}, true)
	return v.n, err
}

// rowLength is the length of row i of svc's bag expanded (Row of a
// measuring Expander).
func (x *Expander) rowLength(svc string, i int) (int, error) {
	b, err := x.bag(svc)
	if err != nil {
		return 0, err
	}
	v, err := x.expand(b.rows[i].Value, view{svc: svc, upto: i}, true)
	return v.n, err
}

// fullView is the upto of a view that sees the whole bag.
const fullView = math.MaxInt

// view is what an expansion sees: the service it is done for and how
// many rows of its bag (all of them, or those before the row expanded).
type view struct {
	svc  string
	upto int
}

// value is the result of expanding a token or a string.
type value struct {
	s   string // the text; "" when measuring
	n   int    // its length
	set bool   // false: no value yet, the token stays as written
	// maxRow is the highest row of the viewing service's bag the value
	// depends on, -1 if none; self is whether it depends on that service
	// at all (a global's value may not).
	maxRow int
	self   bool
}

// expand expands s in view vw. top is true for an expansion that is no
// node's value: it prefixes a cycle error with its token (nested ones leave
// that to the outermost).
func (x *Expander) expand(s string, vw view, top bool) (value, error) {
	out := value{maxRow: -1, set: true}
	var b strings.Builder
	pos := 0
	for {
		t, ok := nextToken(s, pos)
		if !ok {
			break
		}
		v, err := x.token(t.Ref, vw)
		out.self = out.self || v.self
		if err != nil {
			return out, wrapToken(s[t.start:t.end], err, top)
		}
		piece, n := s[t.start:t.end], t.end-t.start
		if v.set {
			piece, n = v.s, v.n
		}
		if out.n += t.start - pos + n; out.n > x.limit {
			return out, wrapToken(s[t.start:t.end], x.tooLarge(), top)
		}
		if !x.measure {
			b.WriteString(s[pos:t.start])
			b.WriteString(piece)
		}
		out.maxRow = max(out.maxRow, v.maxRow)
		pos = t.end
	}
	if pos == 0 { // no token: the value as written, whatever its size
		out.s, out.n = s, len(s)
		if x.measure {
			out.s = ""
		}
		return out, nil
	}
	if out.n += len(s) - pos; out.n > x.limit {
		return out, x.tooLarge()
	}
	if !x.measure {
		b.WriteString(s[pos:])
		out.s = b.String()
	}
	return out, nil
}

func (x *Expander) tooLarge() error {
	return &msgError{msg: fmt.Sprintf("the value expands to more than %d bytes", x.limit), err: ErrTooLarge}
}

// token resolves one token seen from vw.
func (x *Expander) token(ref Ref, vw view) (value, error) {
	switch {
	case ref.Global:
		v, err := x.global(ref.Attr, vw.svc)
		if err == nil && v.self && v.maxRow >= vw.upto {
			return v, x.laterRow(vw, "global "+ref.Attr, v.maxRow)
		}
		return v, err
	case ref.Self || ref.Service == vw.svc:
		return x.own(vw, ref.Attr)
	}
	v, err := x.own(view{svc: ref.Service, upto: fullView}, ref.Attr)
	v.maxRow, v.self = -1, false // another service's rows are not the viewer's
	return v, err
}

// own resolves attr of vw.svc as vw sees it.
func (x *Expander) own(vw view, attr string) (value, error) {
	self := value{maxRow: -1, self: true}
	if !BeforeBag(attr) {
		b, err := x.bag(vw.svc)
		if err != nil {
			return self, err
		}
		if i := b.lastBefore(attr, vw.upto); i >= 0 {
			return x.row(vw.svc, b, i)
		}
		if vw.upto != fullView && !isColumn(attr) {
			return self, notYet(vw, b, attr)
		}
	}
	v, err := x.field(vw.svc, attr)
	v.self = true
	if err == nil && v.maxRow >= vw.upto {
		return v, x.laterRow(vw, fmt.Sprintf("%q", attr), v.maxRow)
	}
	return v, err
}

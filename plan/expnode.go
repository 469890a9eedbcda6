package plan

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

type nodeKind uint8

const (
	rowNode nodeKind = iota
	fieldNode
	globalNode
)

// nodeKey names a value expanded once: row i of svc, field name of svc,
// global name for svc ("" for a global that does not read its service).
type nodeKey struct {
	kind nodeKind
	svc  string
	name string
	row  int
}

type node struct {
	label      string // "svc.attr", for cycle chains
	busy, done bool
	depth      int // position in the stack while busy
	val        value
	err        error
}

type bagEntry struct {
	b   *bag
	err error
}

// bag is a service's rows and, per key, the indexes of its rows.
type bag struct {
	rows  []Row
	index map[string][]int
}

func (x *Expander) bag(svc string) (*bag, error) {
	if e, ok := x.bags[svc]; ok {
		return e.b, e.err
	}
	rows, err := x.r.Rows(svc)
	var b *bag
	if err != nil {
		err = resolverError(svc, "", err)
	} else {
		b = &bag{rows: rows, index: make(map[string][]int, len(rows))}
		for i, r := range rows {
			b.index[r.Key] = append(b.index[r.Key], i)
		}
	}
	x.bags[svc] = bagEntry{b, err}
	return b, err
}

// lastBefore is the index of the last row of key before row upto, -1 if
// none.
func (b *bag) lastBefore(key string, upto int) int {
	idx := b.index[key]
	i, _ := slices.BinarySearch(idx, upto)
	if i == 0 {
		return -1
	}
	return idx[i-1]
}

// row is the value of row i of svc's bag b, as its consumers see it.
func (x *Expander) row(svc string, b *bag, i int) (value, error) {
	r := b.rows[i]
	v, err := x.eval(nodeKey{kind: rowNode, svc: svc, row: i}, svc+"."+r.Key, func() (value, error) {
		if r.Err != nil {
			return value{maxRow: -1}, r.Err
		}
		return x.expand(r.Value, view{svc: svc, upto: i}, false)
	})
	v.maxRow, v.self = i, true
	return v, err
}

// field is the value of the non-bag attribute attr of svc, expanded
// seeing the whole bag.
func (x *Expander) field(svc, attr string) (value, error) {
	return x.eval(nodeKey{kind: fieldNode, svc: svc, name: attr}, svc+"."+attr, func() (value, error) {
		raw, set, err := x.r.Field(svc, attr)
		switch {
		case err != nil:
			return value{maxRow: -1}, resolverError(svc, attr, err)
		case !set:
			return value{maxRow: -1}, nil
		}
		return x.expand(raw, view{svc: svc, upto: fullView}, false)
	})
}

// global is the value of global name expanded for svc. A value that does
// not read svc is kept for every service.
func (x *Expander) global(name, svc string) (value, error) {
	shared := nodeKey{kind: globalNode, name: name}
	if n := x.nodes[shared]; n != nil && n.done {
		return n.val, n.err
	}
	k := nodeKey{kind: globalNode, svc: svc, name: name}
	v, err := x.eval(k, globalService+"."+name, func() (value, error) {
		raw, ok := x.r.Global(name)
		if !ok {
			return value{maxRow: -1}, &msgError{msg: fmt.Sprintf("the global variable %q is not set", name), err: ErrUnknownGlobal}
		}
		return x.expand(raw, view{svc: svc, upto: fullView}, false)
	})
	if n := x.nodes[k]; n.done && !v.self {
		x.nodes[shared] = n
	}
	return v, err
}

// eval returns the value of node k, computing it once.
func (x *Expander) eval(k nodeKey, label string, compute func() (value, error)) (value, error) {
	n := x.nodes[k]
	if n == nil {
		n = &node{label: label}
		x.nodes[k] = n
	}
	if n.done {
		return n.val, n.err
	}
	if n.busy {
		ce := &cycleError{base: n.depth}
		self := false
		for _, m := range x.stack[n.depth:] {
			ce.cycle = append(ce.cycle, m.label)
			self = self || !strings.HasPrefix(m.label, globalService+".")
		}
		return value{maxRow: -1, self: self}, ce
	}
	n.busy, n.depth = true, len(x.stack)
	x.stack = append(x.stack, n)
	v, err := compute()
	x.stack = x.stack[:len(x.stack)-1]
	if ce, ok := err.(*cycleError); ok {
		// On the cycle, the chain starts at this node; leading into it, at
		// the node where it closes.
		start := 0
		if n.depth >= ce.base {
			start = n.depth - ce.base
		}
		err = &cycleError{cycle: ce.cycle, base: ce.base, start: start}
	}
	n.busy, n.done, n.val, n.err = false, true, v, err
	return v, err
}

// resolverError words an error of the Resolver about svc (and attr).
func resolverError(svc, attr string, err error) error {
	switch {
	case errors.Is(err, ErrUnknownService):
		return &msgError{msg: fmt.Sprintf("service %q not found", svc), err: err}
	case errors.Is(err, ErrUnknownAttr):
		msg := fmt.Sprintf("service %q has no attribute %q", svc, attr)
		if me := (*MissingAttrError)(nil); errors.As(err, &me) && me.Why != "" {
			msg += ": " + me.Why
		}
		return &msgError{msg: msg, err: err}
	case attr == "":
		return fmt.Errorf("service %q: %w", svc, err)
	}
	return fmt.Errorf("service %q attribute %q: %w", svc, attr, err)
}

package plan

import (
	"errors"
	"fmt"
	"slices"
)

// node is a value expanded once: a row of a service's bag, a field of a
// service, or a global for a service (for every service when svc is "").
type node struct {
	svc, name  string
	global     bool
	busy, done bool
	depth      int // position in the stack while busy
	val        value
	err        error
}

// label names the node in cycle chains: "svc.attr" or "global.name".
func (n *node) label() string {
	if n.global {
		return globalService + "." + n.name
	}
	return n.svc + "." + n.name
}

type bagEntry struct {
	b   *bag
	err error
}

// bag is a service's rows and the nodes of their values. A bag of more
// than scanMax rows also has an index: the last row of each key, and for
// each row the one before it with the same key (-1: none).
type bag struct {
	rows  []Row
	nodes []node // allocated on first use
	warm  int    // rows before this one were expanded in order
	last  map[string]int
	prev  []int
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
		b = &bag{rows: rows}
		if len(rows) > scanMax {
			b.last, b.prev = make(map[string]int, len(rows)), make([]int, len(rows))
			for i, r := range rows {
				b.prev[i] = -1
				if j, ok := b.last[r.Key]; ok {
					b.prev[i] = j
				}
				b.last[r.Key] = i
			}
		}
	}
	x.bags[svc] = bagEntry{b, err}
	return b, err
}

// lastBefore is the index of the last row of key before row upto, -1 if
// none.
func (b *bag) lastBefore(key string, upto int) int {
	if b.last == nil {
		for i := min(upto, len(b.rows)) - 1; i >= 0; i-- {
			if b.rows[i].Key == key {
				return i
			}
		}
		return -1
	}
	i, ok := b.last[key]
	if !ok {
		return -1
	}
	for i >= upto {
		i = b.prev[i]
		if i < 0 {
			break
		}
	}
	return i
}

// rowsOf returns the indexes of the rows of key, in order.
func (b *bag) rowsOf(key string) []int {
	var idx []int
	if b.last == nil {
		for i, r := range b.rows {
			if r.Key == key {
				idx = append(idx, i)
			}
		}
		return idx
	}
	if i, ok := b.last[key]; ok {
		for ; i >= 0; i = b.prev[i] {
			idx = append(idx, i)
		}
	}
	slices.Reverse(idx)
	return idx
}

// row is the value of row i of svc's bag b, as its consumers see it.
//
// Asked for from outside any expansion, it first expands the rows before
// i, in order, as cloudinit.d built the bag: each of them then finds the
// rows it reads done, so a chain of rows never nests. (Nested requests do
// not: a row computed while others wait could take one of them for a
// cycle.)
func (x *Expander) row(svc string, b *bag, i int) (value, error) {
	if b.nodes == nil {
		b.nodes = make([]node, len(b.rows))
	}
	if len(x.stack) == 0 {
		for ; b.warm < i; b.warm++ {
			_, _ = x.row(svc, b, b.warm)
		}
	}
	r, n := b.rows[i], &b.nodes[i]
	n.svc, n.name = svc, r.Key
	v, err := x.eval(n, func() (value, error) {
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
	k := [2]string{svc, attr}
	n := x.fields[k]
	if n == nil {
		n = &node{svc: svc, name: attr}
		x.fields[k] = n
	}
	return x.eval(n, func() (value, error) {
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
// not read svc is kept for every service (under svc "").
func (x *Expander) global(name, svc string) (value, error) {
	if n := x.globals[[2]string{"", name}]; n != nil && n.done {
		return n.val, n.err
	}
	k := [2]string{svc, name}
	n := x.globals[k]
	if n == nil {
		n = &node{svc: svc, name: name, global: true}
		x.globals[k] = n
	}
	v, err := x.eval(n, func() (value, error) {
		raw, ok := x.r.Global(name)
		if !ok {
			return value{maxRow: -1}, &msgError{msg: fmt.Sprintf("the global variable %q is not set", name), err: ErrUnknownGlobal}
		}
		return x.expand(raw, view{svc: svc, upto: fullView}, false)
	})
	if n.done && !v.self {
		x.globals[[2]string{"", name}] = n
	}
	return v, err
}

// eval returns the value of node n, computing it once.
func (x *Expander) eval(n *node, compute func() (value, error)) (value, error) {
	if n.done {
		return n.val, n.err
	}
	if n.busy {
		return x.cycle(n)
	}
	if len(x.stack) >= maxNesting {
		return value{maxRow: -1}, &msgError{err: ErrTooLarge, msg: fmt.Sprintf("references nest more than %d deep", maxNesting)}
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

// maxNesting is how deep references may nest (a value whose tokens' values
// have tokens ...), so that the stack, and the work of scanning it, stays
// bounded whatever the plan. Rows are expanded in order (see row) and, at
// load, services in level order, so chains of rows do not nest; chains of
// globals do.
const maxNesting = 10000

// cycle is the cycle error found on entering the busy node n again: the
// nodes from n to the top of the stack. Its value reads the viewing
// service unless every node is a global.
func (x *Expander) cycle(n *node) (value, error) {
	ce := &cycleError{base: n.depth}
	self := false
	for _, m := range x.stack[n.depth:] {
		ce.cycle = append(ce.cycle, m.label())
		self = self || !m.global
	}
	return value{maxRow: -1, self: self}, ce
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

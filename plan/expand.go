package plan

import (
	"errors"
	"fmt"
	"strings"
)

// Resolver supplies the values ${svc.attr} and ${global.name} tokens refer
// to. Package plan does not know where they live (plan, run database).
type Resolver interface {
	// Lookup returns the raw (unexpanded) value of attr of service svc.
	// set=false means the attribute exists but has no value yet (the token
	// is left in place). err wraps ErrUnknownService or ErrUnknownAttr.
	Lookup(svc, attr string) (value string, set bool, err error)
	// Global returns the global variable name; ok=false if it is not set.
	Global(name string) (value string, ok bool)
}

// Error classes of Expand; test with errors.Is.
var (
	ErrUnknownService = errors.New("unknown service")
	ErrUnknownAttr    = errors.New("unknown attribute")
	ErrUnknownGlobal  = errors.New("global variable not set")
	ErrCycle          = errors.New("reference cycle")
)

// globalService is the service part that names a global variable.
const globalService = "global"

// Ref is one well-formed ${...} token.
type Ref struct {
	Service string // "" for ${.attr}; "global" for ${global.name}
	Attr    string // the attribute, or the global variable's name
	Global  bool   // ${global.name}
	Self    bool   // ${.attr}: the service doing the expansion
}

// String returns the token text, e.g. "${web.hostname}".
func (r Ref) String() string { return "${" + r.Service + "." + r.Attr + "}" }

// token is a Ref found in a string at s[start:end].
type token struct {
	Ref
	start, end int
}

// nextToken finds the first well-formed token of s at or after from.
// Service = text up to the first '.', attribute = text up to the next '}'.
// Unlike the original's non-greedy regexp, the service part never contains
// '}' or "${" (fix: "${a} ${b.c}" was read as service "a} ${b"), so a
// malformed "${" is left alone and scanning goes on right after it.
func nextToken(s string, from int) (token, bool) {
	for {
		i := strings.Index(s[from:], "${")
		if i < 0 {
			return token{}, false
		}
		start := from + i
		body := s[start+2:]
		dot := strings.IndexByte(body, '.')
		if dot < 0 {
			return token{}, false // no later token can have a '.' either
		}
		svc := body[:dot]
		if strings.ContainsRune(svc, '}') || strings.Contains(svc, "${") {
			from = start + 2
			continue
		}
		end := strings.IndexByte(body[dot+1:], '}')
		if end < 0 {
			return token{}, false // no later token can be closed either
		}
		attr := body[dot+1 : dot+1+end]
		ref := Ref{Service: svc, Attr: attr, Global: svc == globalService, Self: svc == ""}
		return token{Ref: ref, start: start, end: start + 2 + dot + 1 + end + 1}, true
	}
}

// Refs returns every well-formed token of s, left to right.
func Refs(s string) []Ref {
	var out []Ref
	for pos := 0; ; {
		t, ok := nextToken(s, pos)
		if !ok {
			return out
		}
		out = append(out, t.Ref)
		pos = t.end
	}
}

// Expand replaces every ${svc.attr}, ${.attr} and ${global.name} token of s,
// left to right, self being the service doing the expansion. A found
// non-empty value is itself expanded in the context of the service owning
// it (a global's value in the context of the referring service). An unset
// value leaves the token in place; an empty one replaces it with nothing.
// A reference cycle is an error naming the chain (fix: the original
// recursed forever).
func Expand(s, self string, r Resolver) (string, error) {
	return expand(s, self, r, nil)
}

// cycleError is reported unprefixed through the nested expansions and
// prefixed once with the outermost token.
type cycleError struct{ chain []string }

func (e *cycleError) Error() string { return "reference cycle: " + strings.Join(e.chain, " -> ") }
func (e *cycleError) Unwrap() error { return ErrCycle }

// msgError is an error with our own message that still matches the
// resolver's error (or a sentinel) with errors.Is.
type msgError struct {
	msg string
	err error
}

func (e *msgError) Error() string { return e.msg }
func (e *msgError) Unwrap() error { return e.err }

// expand does Expand; stack holds the "svc.attr" keys being expanded.
func expand(s, self string, r Resolver, stack []string) (string, error) {
	var b strings.Builder
	pos := 0
	for {
		t, ok := nextToken(s, pos)
		if !ok {
			break
		}
		b.WriteString(s[pos:t.start])
		v, err := resolve(t.Ref, self, r, stack)
		if err != nil {
			var ce *cycleError
			if errors.As(err, &ce) && len(stack) > 0 {
				return "", err // prefixed once, by the outermost token
			}
			return "", fmt.Errorf("%s: %w", s[t.start:t.end], err)
		}
		b.WriteString(v)
		pos = t.end
	}
	if pos == 0 {
		return s, nil
	}
	b.WriteString(s[pos:])
	return b.String(), nil
}

// resolve returns the expanded text for one token (the token itself when
// its value is unset).
func resolve(ref Ref, self string, r Resolver, stack []string) (string, error) {
	owner, key := ref.Service, ref.Service+"."+ref.Attr
	var value string
	switch {
	case ref.Global:
		v, ok := r.Global(ref.Attr)
		if !ok {
			return "", &msgError{msg: fmt.Sprintf("the global variable %q is not set", ref.Attr), err: ErrUnknownGlobal}
		}
		value, owner = v, self
	default:
		if ref.Self {
			owner, key = self, self+"."+ref.Attr
		}
		v, set, err := r.Lookup(owner, ref.Attr)
		switch {
		case errors.Is(err, ErrUnknownService):
			return "", &msgError{msg: fmt.Sprintf("service %q not found", owner), err: err}
		case errors.Is(err, ErrUnknownAttr):
			return "", &msgError{msg: fmt.Sprintf("service %q has no attribute %q", owner, ref.Attr), err: err}
		case err != nil:
			return "", fmt.Errorf("service %q attribute %q: %w", owner, ref.Attr, err)
		case !set:
			return ref.String(), nil
		}
		value = v
	}
	if value == "" {
		return "", nil
	}
	for i, k := range stack {
		if k == key {
			chain := append(append([]string(nil), stack[i:]...), key)
			return "", &cycleError{chain: chain}
		}
	}
	return expand(value, owner, r, append(stack, key))
}

package plan

import (
	"errors"
	"strings"
)

// Resolver supplies the values ${svc.attr} and ${global.name} tokens refer
// to. Package plan does not know where they live (plan, run database); the
// order in which they are looked up is the [Expander]'s.
type Resolver interface {
	// Field returns the raw (unexpanded) value of an attribute of svc that
	// is not a row of its bag: hostname, instance_id, run_name, and the
	// fields of the service's record (its settings under their column
	// names: image, keyname, bootpgm_args, ...; state, last_error, name).
	// set=false means the attribute exists but has no value yet (the token
	// stays in place). Any other attribute is unset when a bootout.json
	// may still provide it, else an error wrapping ErrUnknownAttr; an
	// unknown service is an error wrapping ErrUnknownService.
	Field(svc, attr string) (value string, set bool, err error)
	// Rows returns svc's attribute bag, raw, in order: its deps rows (deps
	// files by key, rows in file order), then the bootout.json rows
	// recorded so far. The caller does not modify the slice. An unknown
	// service is an error wrapping ErrUnknownService.
	Rows(svc string) ([]Row, error)
	// Global returns the global variable name; ok=false if it is not set.
	Global(name string) (value string, ok bool)
}

// Row is one row of a service's attribute bag.
type Row struct {
	Key   string
	Value string
	// Err, when set, is why the value could not be read (a secret whose
	// environment variable is unset): using the row is this error.
	Err error
}

// Error classes of expansion; test with errors.Is.
var (
	ErrUnknownService = errors.New("unknown service")
	ErrUnknownAttr    = errors.New("unknown attribute")
	ErrUnknownGlobal  = errors.New("global variable not set")
	ErrCycle          = errors.New("reference cycle")
	// ErrLaterRow: a bag row refers to its own key or to a key that only
	// a later row of the bag sets; a row sees only the rows before it.
	ErrLaterRow = errors.New("refers to a later row")
	// ErrTooLarge: an expanded value would exceed the size limit.
	ErrTooLarge = errors.New("expanded value too large")
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
// left to right, self being the service doing the expansion and seeing its
// whole bag (as its settings do). See [Expander] for the rules.
func Expand(s, self string, r Resolver) (string, error) {
	if _, ok := nextToken(s, 0); !ok {
		return s, nil // no token: the value as written (Expander.expand), without an Expander's maps
	}
	return NewExpander(r).Expand(s, self)
}

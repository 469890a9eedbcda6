package plan

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Reference is one ${} token written in a service setting or deps row.
type Reference struct {
	// From is the service whose value holds the token; Key the setting
	// or deps key.
	From string
	Key  string
	// Deps is true when Key is a deps row, false for a setting.
	Deps bool
	// To is the referenced service (From for ${.attr}); empty for a global.
	To string
	// Attr is the attribute, or the global variable's name.
	Attr   string
	Global bool
}

// References returns every ${} token of the plan: services in plan order,
// settings by key, then deps rows in order, tokens left to right.
func (p *Plan) References() []Reference {
	var out []Reference
	for _, s := range p.Services() {
		s.eachValue(func(key, value string, deps bool, _ Source) {
			for _, r := range Refs(value) {
				ref := Reference{From: s.Name, Key: key, Deps: deps, To: r.Service, Attr: r.Attr, Global: r.Global}
				switch {
				case r.Global:
					ref.To = ""
				case r.Self:
					ref.To = s.Name
				}
				out = append(out, ref)
			}
		})
	}
	return out
}

// eachValue calls fn for every setting (sorted by key) and deps row, with
// where it was written (deps rows: File, Section "deps", Line).
func (s *Service) eachValue(fn func(key, value string, deps bool, src Source)) {
	for _, st := range s.Settings {
		fn(st.Key, st.Value, false, st.Source)
	}
	for _, a := range s.Deps {
		fn(a.Key, a.Value, true, Source{Kind: SourceService, File: a.File, Section: "deps", Line: a.Line})
	}
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// checkDuplicates reports services whose names are already taken.
func (l *loader) checkDuplicates(p *Plan) {
	seen := map[string]*Service{}
	for _, s := range p.Services() {
		if first, ok := seen[s.Name]; ok {
			l.ps.errorf(s.File, s.Section, "", s.Line, "service %q is already defined in %s [%s] (level %d); service names must be unique in a plan",
				s.Name, l.ps.rel(first.File), first.Section, first.Level)
			continue
		}
		seen[s.Name] = s
	}
}

// checkRefs reports every ${} token that cannot resolve when it is used:
// unknown service, a service of the same or a later level, an attribute the
// service cannot have, an unset global (checkRef), and what only expanding
// shows: a bag row using a row that is not before it, reference cycles and
// oversized values or bags. One measuring Expander serves the whole plan,
// so every value is expanded once, and only its length is computed.
func (l *loader) checkRefs(ctx context.Context, p *Plan) {
	x := newMeasurer(p.Resolver(""))
	h := &hints{p: p}
	for _, s := range p.Services() {
		if ctx.Err() != nil {
			return
		}
		check := func(key, value string, src Source, expand func() (int, error)) int {
			bad := false
			for _, ref := range Refs(value) {
				if msg := checkRef(p, x, h, s, ref); msg != "" {
					bad = true
					l.ps.errorf(src.File, src.Section, key, src.Line, "%s: %s", ref, msg)
				}
			}
			if bad || !strings.Contains(value, "${") {
				return len(value)
			}
			n, err := expand()
			if reportable(err) {
				l.ps.errorf(src.File, src.Section, key, src.Line, "%v", err)
			}
			return n
		}
		size := 0
		for i, a := range s.Deps {
			src := Source{Kind: SourceService, File: a.File, Section: "deps", Line: a.Line}
			size += check(a.Key, a.Value, src, func() (int, error) { return x.rowLength(s.Name, i) })
		}
		for _, st := range s.Settings { // sorted by key
			if strings.Contains(st.Value, "${") {
				check(st.Key, st.Value, st.Source, func() (int, error) { return x.length(st.Value, s.Name) })
			}
		}
		if size > MaxBagSize {
			l.ps.errorf(s.File, s.Section, "", s.Line, "%v", bagTooLarge(s.Name))
		}
	}
}

// reportable reports whether an expansion error is one checkRef cannot
// see: a cycle or an oversized value anywhere on the way, or a problem of
// a token written in the value itself (a bag row using a row not before
// it). Deeper problems are reported where they are written.
func reportable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrCycle) || errors.Is(err, ErrTooLarge) {
		return true
	}
	var re *refError
	return errors.As(err, &re) && re.depth() == 1
}

// checkRef returns why ref, used by s, can never resolve, or "".
func checkRef(p *Plan, x *Expander, h *hints, s *Service, ref Ref) string {
	if ref.Global {
		if _, ok := p.Globals[ref.Attr]; !ok {
			msg := fmt.Sprintf("global variable %q is not set: define it in [globals] of the top file, in a -G file or with -g %s=VALUE", ref.Attr, ref.Attr)
			for _, name := range sortedKeys(p.Globals) {
				if strings.EqualFold(name, ref.Attr) {
					msg += fmt.Sprintf(" (names are case-sensitive: did you mean %q?)", name)
					break
				}
			}
			return msg
		}
		return ""
	}
	t := s
	if !ref.Self {
		t = p.Service(ref.Service)
	}
	switch {
	case t == nil:
		return fmt.Sprintf("service %q not found%s", ref.Service, h.replicaHint(ref.Service))
	case t == s:
	case t.Level == s.Level:
		return fmt.Sprintf("service %q is in the same level (%d); only services of earlier levels can be referred to", t.Name, t.Level)
	case t.Level > s.Level:
		return fmt.Sprintf("service %q is in a later level (%d > %d); only services of earlier levels can be referred to", t.Name, t.Level, s.Level)
	}
	if b, err := x.bag(t.Name); err == nil && len(b.rowsOf(ref.Attr)) > 0 {
		return ""
	}
	if _, _, err := p.Resolver("").Field(t.Name, ref.Attr); errors.Is(err, ErrUnknownAttr) {
		return fmt.Sprintf("service %q has no attribute %q%s", t.Name, ref.Attr, h.attrHint(ref.Attr, t))
	}
	return ""
}

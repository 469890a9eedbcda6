package engine

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrUnknownEngine is the class of errors for an engine name no registry
// entry answers to.
var ErrUnknownEngine = errors.New("unknown engine")

// Factory makes a new engine, ready for Initialize.
type Factory func() Engine

// Registry maps engine names to factories. The zero value is empty and
// usable; Builtin returns one holding the engines of this package.
type Registry struct {
	factories map[string]Factory
}

// Builtin returns a new registry with the built-in engines: npreserving,
// queuelen, sensor and autoscale.
func Builtin() *Registry {
	r := &Registry{}
	r.mustRegister("npreserving", func() Engine { return NewNpreserving() })
	r.mustRegister("queuelen", func() Engine { return NewQueueLength() })
	r.mustRegister("sensor", func() Engine { return NewSensor() })
	r.mustRegister("autoscale", func() Engine { return NewAutoscale() })
	return r
}

// Register adds an engine under name; a name already taken is an error.
func (r *Registry) Register(name string, f Factory) error {
	if name == "" || f == nil {
		return fmt.Errorf("register engine %q: empty name or nil factory", name)
	}
	if _, ok := r.factories[name]; ok {
		return fmt.Errorf("register engine %q: name already taken", name)
	}
	if r.factories == nil {
		r.factories = make(map[string]Factory)
	}
	r.factories[name] = f
	return nil
}

func (r *Registry) mustRegister(name string, f Factory) {
	if err := r.Register(name, f); err != nil {
		panic(err) // a programming error in Builtin
	}
}

// Names returns the registered names, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.factories))
	for n := range r.factories {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New returns a new engine registered as name. An unknown name is an
// ErrUnknownEngine error naming the known ones, with a suggestion when one
// is close (a typo, a different case, or the original's class name such
// as "epu.decisionengine.impls.NpreservingEngine").
func (r *Registry) New(name string) (Engine, error) {
	if f, ok := r.factories[name]; ok {
		return f(), nil
	}
	msg := fmt.Sprintf("%q (known: %s)", name, strings.Join(r.Names(), ", "))
	if s := suggest(name, r.Names()); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return nil, fmt.Errorf("%w %s", ErrUnknownEngine, msg)
}

// suggest returns the known name closest to name, or "": a name equal but
// for case, contained in name (a class path), starting with name (at
// least three letters), or within two edits.
func suggest(name string, known []string) string {
	low := strings.ToLower(name)
	best, bestDist := "", 3
	for _, k := range known {
		if low == k || (len(k) >= 6 && strings.Contains(low, k)) || (len(low) >= 3 && strings.HasPrefix(k, low)) {
			return k
		}
		if d := editDistance(low, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

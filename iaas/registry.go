package iaas

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
)

// Config is what a [Factory] gets to build a driver. Every field is
// optional; a driver fills in defaults.
type Config struct {
	// StateDir is where a driver may keep state that must outlive the
	// process (the fake driver's instances, the local driver's keys). Each
	// driver uses a subdirectory named after itself.
	StateDir string

	// Logger receives diagnostics; nil means discard.
	Logger *slog.Logger

	// LookupEnv reads the environment (os.LookupEnv when nil). Drivers read
	// the environment only through it, so tests can inject their own.
	LookupEnv func(key string) (string, bool)

	// Clock is the time source (the system clock when nil).
	Clock Clock
}

// Log returns c.Logger, or a logger that discards everything.
func (c Config) Log() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

// Env looks key up with c.LookupEnv, or os.LookupEnv when that is nil.
func (c Config) Env(key string) (string, bool) {
	if c.LookupEnv == nil {
		return os.LookupEnv(key)
	}
	return c.LookupEnv(key)
}

// Time returns c.Clock, or the system clock.
func (c Config) Time() Clock { return clockOrSystem(c.Clock) }

// Factory builds a driver from a [Config].
type Factory func(cfg Config) (Driver, error)

// Entry is one driver of a [Registry]: how to build it and how to wrap it.
type Entry struct {
	// Name is the registry name (lower case), also Driver.Name().
	Name string
	// Aliases are other iaas values that select this driver.
	Aliases []string
	// Factory builds the bare driver.
	Factory Factory
	// Wrap adds the retry, concurrency and rate wrappers that suit the
	// driver (nil: [DefaultWrap]).
	Wrap func(d Driver, cfg Config) Driver
	// Serves, when set, reports whether the driver serves an iaas value
	// that is neither its name nor an alias: EC2's regions. endpoint says
	// the service sets iaas_url (an EC2-compatible cloud names its own
	// regions).
	Serves func(value string, endpoint bool) bool
}

// DefaultWrap is the wrapping of a driver whose entry has no Wrap: retries
// of throttled and transient errors, at most 32 calls in flight.
func DefaultWrap(d Driver, cfg Config) Driver {
	return WithLimit(WithRetry(d, RetryPolicy{Logger: cfg.Logger}), 32)
}

// Selector is what picks the driver of a service: its iaas value, and
// whether it sets iaas_url.
type Selector struct {
	Value    string
	Endpoint bool
}

// ErrUnknownDriver is the class of an iaas value that names no driver,
// alias or value a driver serves.
var ErrUnknownDriver = errors.New("unknown iaas")

// Registry maps iaas values (a driver's name, an alias, a region...) to
// driver entries. It is built explicitly in one place (cmd), never by
// init(); the zero value is not usable, call [NewRegistry]. A Registry is
// not safe for concurrent Register calls; build it, then share it
// read-only.
type Registry struct {
	entries map[string]Entry
	order   []string          // registration order, for Serves
	aliases map[string]string // alias -> name
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{entries: map[string]Entry{}, aliases: map[string]string{}}
}

// Register adds a driver entry. It panics when the name is empty, the
// name or an alias is taken, or the factory is nil: those are programming
// errors in the one function that builds the registry.
func (r *Registry) Register(e Entry) {
	e.Name = strings.ToLower(e.Name)
	if e.Name == "" || e.Factory == nil {
		panic("iaas: Register with an empty name or a nil factory")
	}
	if r.taken(e.Name) {
		panic(fmt.Sprintf("iaas: Register called twice for %q", e.Name))
	}
	for _, a := range e.Aliases {
		a = strings.ToLower(a)
		if a == "" || a == e.Name || r.taken(a) {
			panic(fmt.Sprintf("iaas: alias %q of %q is empty or already taken", a, e.Name))
		}
	}
	r.entries[e.Name] = e
	r.order = append(r.order, e.Name)
	for _, a := range e.Aliases {
		r.aliases[strings.ToLower(a)] = e.Name
	}
}

func (r *Registry) taken(name string) bool {
	_, f := r.entries[name]
	_, a := r.aliases[name]
	return f || a
}

// Resolve returns the name of the driver that serves s: the driver named
// or aliased by s.Value (any case), else the first registered driver whose
// Serves accepts it. Any other value is an error of class
// ErrUnknownDriver: `unknown iaas "x" (known: ec2, fake, local)`.
func (r *Registry) Resolve(s Selector) (string, error) {
	key := strings.ToLower(strings.TrimSpace(s.Value))
	if _, ok := r.entries[key]; ok {
		return key, nil
	}
	if t, ok := r.aliases[key]; ok {
		return t, nil
	}
	for _, n := range r.order {
		if e := r.entries[n]; e.Serves != nil && e.Serves(s.Value, s.Endpoint) {
			return n, nil
		}
	}
	return "", fmt.Errorf("%w %q (known: %s)", ErrUnknownDriver, s.Value, strings.Join(r.Names(), ", "))
}

// Known reports whether an iaas value, in a service without iaas_url,
// names a driver, an alias or a value a driver serves (a known EC2
// region). A plan can check its iaas values with it before anything runs.
func (r *Registry) Known(value string) bool {
	_, err := r.Resolve(Selector{Value: value})
	return err == nil
}

// Open builds the bare driver that serves value (Resolve, without iaas_url)
// with cfg; wrap it with [Registry.Wrap].
func (r *Registry) Open(value string, cfg Config) (Driver, error) {
	name, err := r.Resolve(Selector{Value: value})
	if err != nil {
		return nil, err
	}
	d, err := r.entries[name].Factory(cfg)
	if err != nil {
		return nil, fmt.Errorf("iaas %q: %w", value, err)
	}
	return d, nil
}

// Wrap adds the wrappers of d's entry (found by d.Name()), or
// [DefaultWrap] for a driver the registry does not know.
func (r *Registry) Wrap(d Driver, cfg Config) Driver {
	if e, ok := r.entries[strings.ToLower(d.Name())]; ok && e.Wrap != nil {
		return e.Wrap(d, cfg)
	}
	return DefaultWrap(d, cfg)
}

// Values returns every registered driver name and alias, sorted: the
// iaas values a plan may write besides those a driver serves (regions).
func (r *Registry) Values() []string {
	values := r.Names()
	for a := range r.aliases {
		values = append(values, a)
	}
	slices.Sort(values)
	return values
}

// Names returns the registered driver names (not aliases), sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.entries))
	for n := range r.entries {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

package iaas

import (
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

// Registry maps iaas names (the plan's iaas value, "fake", "local"...) to
// factories. It is built explicitly in one place (cmd), never by init();
// the zero value is not usable, call [NewRegistry]. A Registry is not safe
// for concurrent Register calls; build it, then share it read-only.
type Registry struct {
	factories map[string]Factory
	aliases   map[string]string
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{factories: map[string]Factory{}, aliases: map[string]string{}}
}

// Register adds a driver under name (lower-cased). It panics when the name
// is empty, already registered or an alias, or f is nil: those are
// programming errors in the one function that builds the registry.
func (r *Registry) Register(name string, f Factory) {
	name = strings.ToLower(name)
	if name == "" || f == nil {
		panic("iaas: Register with an empty name or a nil factory")
	}
	if r.taken(name) {
		panic(fmt.Sprintf("iaas: Register called twice for %q", name))
	}
	r.factories[name] = f
}

// Alias makes alias another name for the registered driver target. It
// panics when alias is taken or target is not registered.
func (r *Registry) Alias(alias, target string) {
	alias, target = strings.ToLower(alias), strings.ToLower(target)
	if alias == "" || r.taken(alias) {
		panic(fmt.Sprintf("iaas: Alias %q is empty or already taken", alias))
	}
	if _, ok := r.factories[target]; !ok {
		panic(fmt.Sprintf("iaas: Alias %q for unregistered driver %q", alias, target))
	}
	r.aliases[alias] = target
}

func (r *Registry) taken(name string) bool {
	_, f := r.factories[name]
	_, a := r.aliases[name]
	return f || a
}

// Lookup returns the factory registered under name or one of its aliases
// (case-insensitive). For any other name the error reads
// `unknown iaas "x" (known: fake, local)`, the known names sorted.
func (r *Registry) Lookup(name string) (Factory, error) {
	key := strings.ToLower(name)
	if t, ok := r.aliases[key]; ok {
		key = t
	}
	if f, ok := r.factories[key]; ok {
		return f, nil
	}
	return nil, fmt.Errorf("unknown iaas %q (known: %s)", name, strings.Join(r.Names(), ", "))
}

// Open looks name up and builds the driver with cfg.
func (r *Registry) Open(name string, cfg Config) (Driver, error) {
	f, err := r.Lookup(name)
	if err != nil {
		return nil, err
	}
	d, err := f(cfg)
	if err != nil {
		return nil, fmt.Errorf("iaas %q: %w", name, err)
	}
	return d, nil
}

// Names returns the registered driver names (not aliases), sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.factories))
	for n := range r.factories {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

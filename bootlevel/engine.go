package bootlevel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/store"
	"github.com/cloudinitd/cloudinitd/verify"
)

// Engine runs commands on one run record. Every command works from the
// record alone: an Engine built in another process on the reopened record
// continues where the first left off. The fields are set before the first
// command and not changed afterwards; an Engine must not be copied.
type Engine struct {
	// DB is the open run record (holding the run's lock).
	DB *store.DB
	// Drivers opens the driver for a service's iaas value (expanded) and
	// whether it sets iaas_url (iaas.Registry.Resolve decides from both);
	// the caller wraps it (retry, limits) and decides what "" means. An
	// iaas value that names no driver is an error. The engine asks once
	// per distinct selector per Engine.
	Drivers func(iaas.Selector) (iaas.Driver, error)
	// StateDir is the directory the drivers keep their state in (the
	// iaas.Config.StateDir they were opened with; "" when unknown). It is
	// the services' attribute iaas_state_dir, so that a service's program
	// can open a driver on the same cloud and launch instances for the run
	// (LaunchSpec.Run from the attribute run_id, LaunchSpec.Owner its own
	// name) that the run's sweeps find.
	StateDir string
	// Connector reaches the services' hosts.
	Connector Connector
	// Observer receives events (nil: none).
	Observer Observer
	// LogDir is where <run>/<service>.log files go ("" keeps none).
	LogDir string
	// Parallel bounds how many services of a level (and launches of the
	// pre-launch) run at once; 0 means no bound (the pre-launch: at most
	// 1,024 launches at once, more than the drivers admit).
	Parallel int
	// LookupEnv reads the local environment: REMOTE_WORKING_DIR_ENV and
	// credentials stored as env.NAME (nil: no environment).
	LookupEnv func(string) (string, bool)
	// Globals are the command line's global variables (-g NAME=VALUE):
	// they win over the record's, and a secret one (never recorded) exists
	// only here.
	Globals map[string]string
	// Secrets collects the secret values the engine resolves and masks
	// them in everything it shows or keeps: events, the journal, states,
	// last_error, logs (nil: the engine keeps its own). The caller masks
	// its own output (errors, documents) with the same value.
	Secrets *Secrets
	// Now is the clock of events and logs (time.Now when nil).
	Now func() time.Time
	// Logger receives diagnostics (discarded when nil).
	Logger *slog.Logger
	// Waits overrides the polling budgets (the original's when zero).
	Waits Waits
	// CleanupTimeout bounds clean-up work that runs after ctx was canceled
	// (recording a launched instance, terminating) (default 2 minutes).
	CleanupTimeout time.Duration
	// Exe is the absolute path of the running cloudinitd program, which
	// the services' programs get as CLOUDINITD_EXE (os.Executable when
	// empty), so that a program on this machine (local_exe, the local
	// driver) can run it.
	Exe string

	mu      sync.Mutex
	own     *Secrets     // Secrets when the caller gave none
	logger  *slog.Logger // Logger, masking secrets
	drivers map[iaas.Selector]iaas.Driver
	scopes  scopes // drivers told where the run's instances live (scope.go)
	exeOnce sync.Once
	exe     string // Exe, or os.Executable
}

// Waits are the polling budgets of the pipelines; nil fields take the
// verify presets (RunningBackoff, SSHBackoff).
type Waits struct {
	Running *verify.Backoff
	SSH     *verify.Backoff
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// log returns Logger with every secret of the command masked.
func (e *Engine) log() *slog.Logger {
	if e.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.logger == nil {
		e.logger = slog.New(e.secretsLocked().Handler(e.Logger.Handler()))
	}
	return e.logger
}

// exePath returns Exe, else the running program's path (os.Executable,
// once); "" when that is unknown, which is logged.
func (e *Engine) exePath() string {
	e.exeOnce.Do(func() {
		if e.exe = e.Exe; e.exe != "" {
			return
		}
		p, err := os.Executable()
		if err != nil {
			e.log().Warn("programs get no CLOUDINITD_EXE: the path of the running program is unknown", "err", err)
			return
		}
		e.exe = p
	})
	return e.exe
}

func (e *Engine) getenv(k string) string {
	if e.LookupEnv == nil {
		return ""
	}
	v, _ := e.LookupEnv(k)
	return v
}

// cleanup returns a context for work that must finish even after ctx was
// canceled (Ctrl-C): ctx's values, no cancellation, its own timeout.
func (e *Engine) cleanup(ctx context.Context) (context.Context, context.CancelFunc) {
	d := e.CleanupTimeout
	if d <= 0 {
		d = 2 * time.Minute
	}
	return context.WithTimeout(context.WithoutCancel(ctx), d)
}

// driver returns the (cached) driver for a selector.
func (e *Engine) driver(sel iaas.Selector) (iaas.Driver, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if d, ok := e.drivers[sel]; ok {
		return d, nil
	}
	if e.Drivers == nil {
		return nil, errors.New("no IaaS drivers configured")
	}
	d, err := e.Drivers(sel)
	if err != nil {
		return nil, err
	}
	if e.drivers == nil {
		e.drivers = map[iaas.Selector]iaas.Driver{}
	}
	e.drivers[sel] = d
	return d, nil
}

// serviceDriver returns the driver of svc (its expanded iaas setting).
func (e *run) serviceDriver(r *Resolver, svc string) (iaas.Driver, error) {
	name, err := r.Setting(svc, "iaas")
	if err != nil {
		return nil, err
	}
	url, err := r.Setting(svc, "iaas_url")
	if err != nil {
		return nil, err
	}
	d, err := e.driver(iaas.Selector{Value: name, Endpoint: url != ""})
	if err != nil {
		return nil, fmt.Errorf("iaas %q: %w", name, err)
	}
	e.addScopes(r, name, d)
	return d, nil
}

// fail records a service failure (state failed unless keep, last_error) and
// returns it as a *ServiceError.
func (e *run) fail(ctx context.Context, lv int, svc, step string, err error, setFailed bool) error {
	se := &ServiceError{Level: lv, Service: svc, Step: step, Err: err, LogFile: e.LogFile(svc)}
	rec := context.WithoutCancel(ctx)
	if lerr := e.setLastError(rec, svc, se.Error()); lerr != nil {
		e.log().Warn("record last error", "service", svc, "err", lerr)
	}
	if setFailed {
		if serr := e.setState(rec, lv, svc, store.StateFailed, step+": "+err.Error()); serr != nil {
			e.log().Warn("record failed state", "service", svc, "err", serr)
		}
	}
	return se
}

// pgmTimeout is a service's per-step timeout (pgm_timeout seconds, 1200 by
// default).
func pgmTimeout(s store.Service) time.Duration {
	v, ok := s.Setting("pgm_timeout")
	if !ok || v == "" {
		return 1200 * time.Second
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 {
		return 1200 * time.Second
	}
	return time.Duration(f * float64(time.Second))
}

// flag reports whether a boolean setting is "true" (any case).
func flag(s store.Service, key string) bool {
	v, _ := s.Setting(key)
	return strings.EqualFold(v, "true")
}

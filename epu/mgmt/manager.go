package mgmt

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/store"
)

// Manager runs epumgmt's actions on the runs of one record directory. The
// fields are set before the first action and not changed afterwards.
type Manager struct {
	// DBDir is the cloudinitd record directory (-C); also the drivers'
	// state directory, as cloudinitd opens them.
	DBDir string
	// RunLogDir is where fetched logs and epumgmt's own files of a run go:
	// <RunLogDir>/<run>/.
	RunLogDir string
	// Out receives results (reports, --json documents); Err progress and
	// warnings, one line each.
	Out, Err io.Writer
	// Logger receives diagnostics (discarded when nil).
	Logger *slog.Logger
	// OpenDriver opens the driver serving sel, wrapped as cloudinitd wraps
	// its services' drivers (iaas/drivers.Open). Used by the sweep.
	OpenDriver func(sel iaas.Selector, cfg iaas.Config) (iaas.Driver, error)
	// NewEngine builds a cloudinitd engine on db as cloudinitd's commands
	// do (drivers, SSH connector, observer, logs) and what releases it.
	NewEngine func(db *store.DB) (*bootlevel.Engine, func(), error)
	// NewChannel returns the channel to the daemons over e (nil: a
	// HostChannel). Tests give a fake.
	NewChannel func(e *bootlevel.Engine) Channel
	// Poll is the period of terminate_all polling (1 s when zero; at most
	// 1 s).
	Poll time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *Manager) poll() time.Duration {
	if m.Poll > 0 && m.Poll < time.Second {
		return m.Poll
	}
	return time.Second
}

func (m *Manager) log() *slog.Logger {
	if m.Logger != nil {
		return m.Logger
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// say writes one progress line to Err.
func (m *Manager) say(format string, args ...any) {
	if m.Err != nil {
		fmt.Fprintf(m.Err, format+"\n", args...)
	}
}

// warn writes one warning line to Err.
func (m *Manager) warn(format string, args ...any) {
	m.say("epumgmt: warning: "+format, args...)
}

// runDir is <RunLogDir>/<run>, created 0700.
func (m *Manager) runDir(run string) (string, error) {
	d := filepath.Join(m.RunLogDir, run)
	if err := os.MkdirAll(d, 0o700); err != nil {
		return "", fmt.Errorf("run log directory: %w", err)
	}
	return d, nil
}

// session is one action's view of a run: its record, its EPU system, the
// engine and the channel to the daemons.
type session struct {
	db  *store.DB
	sys System
	eng *bootlevel.Engine
	ch  Channel
	rel func()
}

func (s *session) close() {
	if s.rel != nil {
		s.rel()
	}
	s.db.Close()
}

// provisioners returns the run's provisioners; none is an error saying
// how one is recognized, and what could therefore not be done (then).
func (s *session) provisioners(run, then string) ([]Service, error) {
	provs := s.sys.ByRole(RoleProvisioner)
	if len(provs) == 0 {
		return nil, fmt.Errorf("run %s has no provisioner (no service with epu_role provisioner, none named provisioner)%s", run, then)
	}
	return provs, nil
}

// open opens run's record (read-only unless write: then with its lock)
// and builds the engine and channel on it. A run without a record is
// store.ErrNoRun, before anything else is touched.
func (m *Manager) open(ctx context.Context, run string, write bool) (*session, error) {
	var db *store.DB
	var err error
	if write {
		db, err = store.Open(ctx, m.DBDir, run)
	} else {
		db, err = store.OpenReadOnly(ctx, m.DBDir, run)
	}
	if err != nil {
		return nil, err
	}
	sys, err := LoadSystem(ctx, db, m.DBDir)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("run %s: %w", run, err)
	}
	eng, rel, err := m.NewEngine(db)
	if err != nil {
		db.Close()
		return nil, err
	}
	s := &session{db: db, sys: sys, eng: eng, rel: rel}
	if m.NewChannel != nil {
		s.ch = m.NewChannel(eng)
	} else {
		s.ch = &HostChannel{Engine: eng}
	}
	for _, w := range sys.Warnings {
		m.warn("%s", w)
	}
	return s, nil
}

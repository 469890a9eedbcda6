package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/epu/eventlog"
)

// epuDaemon is what 'epu provisioner' and 'epu controller' run: it serves
// its API on the listener and runs its loops until ctx ends (a drain), then
// returns nil.
type epuDaemon interface {
	Run(ctx context.Context, l net.Listener) error
}

// daemonConfig is what the program needs to know of a daemon's loaded
// configuration before building it.
type daemonConfig struct {
	Listen   string // host:port
	StateDir string
	// KeepAddr: with port 0, listen where the previous start did when it
	// can (api.Listen). The controller's: its URL went to its workers'
	// agents at launch (heartbeat_dest), and nothing gives them another.
	// The provisioner's URL reaches the controller through its
	// configuration, which a repair renders again.
	KeepAddr bool
	// build makes the daemon with its dependencies, logging to log.
	build func(log *slog.Logger) (epuDaemon, error)
}

// runDaemonCommand is 'epu provisioner|controller --config FILE [--log
// FILE]': load the configuration, log JSON lines to <state_dir>/ROLE.log
// (or --log), listen, run until SIGTERM or SIGINT.
func runDaemonCommand(ctx context.Context, env cl.Env, self, role string, args []string) error {
	fs := flag.NewFlagSet(role, flag.ContinueOnError)
	config := fs.String("config", "", "")
	logPath := fs.String("log", "", "")
	pos, err := parseEpuFlags(fs, self, role, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return epuUsage(self, "%s %s takes no arguments; unexpected %q", self, role, pos[0])
	}
	if *config == "" {
		return epuUsage(self, "%s %s needs --config FILE (the service's bootconf, docs/epu.md)", self, role)
	}
	cfg, err := loadDaemonConfig(role, *config)
	if err != nil {
		return cl.WithHint(err, "the configuration keys of the "+role+" are listed in docs/epu.md")
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return fmt.Errorf("%s: state_dir: %w", *config, err)
	}
	if *logPath == "" {
		*logPath = filepath.Join(cfg.StateDir, role+".log")
	}
	logf, err := os.OpenFile(*logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open the log: %w", err)
	}
	defer logf.Close()
	logw := eventlog.New(logf, eventlog.DefaultPeriod) // the event lines, buffered
	defer logw.Close()                                 // before logf's: flushes the last lines
	logger := slog.New(slog.NewJSONHandler(logw, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d, err := cfg.build(logger)
	if err != nil {
		return fmt.Errorf("%s: %w", *config, err)
	}
	l, moved, err := cfg.listen()
	if err != nil {
		err = fmt.Errorf("%s: %w", *config, err)
		if op := (*net.OpError)(nil); errors.As(err, &op) {
			err = cl.WithHint(err, "another daemon may hold the address; listen: \"HOST:0\" picks a free port (api_url says which)")
		}
		return err
	}
	if moved != "" {
		logger.Warn("listening on another address than the previous start: workers launched before heartbeat to the previous URL and turn MISSING",
			"event", "listen_moved", "role", role, "reason", moved, "listen", l.Addr().String())
	}
	logger.Info("daemon starting", "event", "daemon_start", "role", role, "listen", l.Addr().String(),
		"state_dir", cfg.StateDir, "pid", os.Getpid(), "version", buildVersion())
	err = d.Run(ctx, l)
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		err = nil // the drain asked for by SIGTERM or SIGINT
	}
	if err != nil {
		logger.Error("daemon stopped", "event", "daemon_stop", "role", role, "error", err.Error())
		return fmt.Errorf("%s: %w", role, err)
	}
	logger.Info("daemon stopped", "event", "daemon_stop", "role", role)
	return nil
}

// listen listens on the configured address (KeepAddr: api.Listen); moved
// says why the address of the previous start was not kept, when it may
// have been.
func (c daemonConfig) listen() (l net.Listener, moved string, err error) {
	if c.KeepAddr {
		return api.Listen(c.StateDir, c.Listen)
	}
	if l, err = net.Listen("tcp", c.Listen); err != nil {
		return nil, "", fmt.Errorf("listen: %w", err)
	}
	return l, "", nil
}

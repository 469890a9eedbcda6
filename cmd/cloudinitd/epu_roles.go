package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"

	"github.com/cloudinitd/cloudinitd/epu/controller"
	"github.com/cloudinitd/cloudinitd/epu/engine"
	"github.com/cloudinitd/cloudinitd/epu/provisioner"
	"github.com/cloudinitd/cloudinitd/epu/workerctx"
	"github.com/cloudinitd/cloudinitd/iaas/drivers"
	"github.com/cloudinitd/cloudinitd/remote"
)

// loadDaemonConfig loads the configuration of a daemon of role (its
// package's LoadConfig: errors name the file and the key) and says how to
// build the daemon with its dependencies: the drivers cloudinitd uses, the
// system clock, the built-in engines.
func loadDaemonConfig(role, path string) (daemonConfig, error) {
	switch role {
	case "provisioner":
		cfg, err := provisioner.LoadConfig(path)
		if err != nil {
			return daemonConfig{}, err
		}
		return daemonConfig{Listen: cfg.Listen, StateDir: cfg.StateDir, build: func(log *slog.Logger) (epuDaemon, error) {
			// Workers are contextualized by the service pipeline
			// (epu/workerctx), their host keys pinned in the
			// provisioner's store; relative program paths are read from
			// the configuration's directory; a worker of a domain gets
			// its domain's node token (from the run's secret).
			ctxz, err := workerctx.New(workerctx.Config{Run: cfg.Run, RunSecret: cfg.RunSecret, Dir: filepath.Dir(path),
				SSH: remote.SSHOptions{Logger: log}, Logger: log})
			if err != nil {
				return nil, err
			}
			return provisioner.New(cfg, provisioner.Deps{
				Registry:       drivers.Registry(),
				Logger:         log,
				Contextualizer: ctxz,
			})
		}}, nil
	case "controller":
		cfg, err := controller.LoadConfig(path)
		if err != nil {
			return daemonConfig{}, err
		}
		return daemonConfig{Listen: cfg.Listen, StateDir: cfg.StateDir, KeepAddr: true, build: func(log *slog.Logger) (epuDaemon, error) {
			// The controller reaches the provisioner through its API
			// (provisioner.url, the token derived for provisioner.service).
			c, err := controller.New(cfg, controller.Deps{Engines: engine.Builtin(), Logger: log})
			if err != nil {
				return nil, err
			}
			return closingDaemon{c}, nil
		}}, nil
	}
	return daemonConfig{}, fmt.Errorf("unknown daemon %q", role)
}

// closingDaemon is a controller, whose store is closed once Run returned.
type closingDaemon struct{ c *controller.Controller }

func (d closingDaemon) Run(ctx context.Context, l net.Listener) error {
	err := d.c.Run(ctx, l)
	if cerr := d.c.Close(); err == nil {
		err = cerr
	}
	return err
}

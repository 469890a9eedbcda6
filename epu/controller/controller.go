package controller

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// APIURLFile is the file in the state directory that holds the URL the
// controller serves on (mode 0600).
const APIURLFile = "api_url"

// Deps are what a controller is given rather than builds.
type Deps struct {
	Engines     Engines      // the engines domains may name (engine.Builtin())
	Provisioner Provisioner  // where launches and terminations go; nil: the API at provisioner.url
	Clock       Clock        // nil: the wall clock
	Logger      *slog.Logger // JSON event lines; nil: discarded
}

// Controller hosts the domains of one configuration.
type Controller struct {
	cfg     Config
	env     *env
	domains map[string]*domain
	order   []string // domain names, as configured
	auth    *api.Authenticator
	token   string
}

// New opens the store in the state directory, recovers each domain's
// instances, sensors and reconfigurations, and initializes each domain's
// engine with its configuration and the persisted reconfigurations merged
// over it. An unknown engine or an engine refusing its configuration is an
// error naming the domain. Close releases the store.
func New(cfg Config, deps Deps) (*Controller, error) {
	if deps.Engines == nil {
		return nil, errors.New("controller: no engine registry")
	}
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("controller: %w", err)
	}
	if deps.Provisioner == nil {
		p, err := newHTTPProvisioner(cfg.Provisioner, cfg.RunSecret)
		if err != nil {
			return nil, fmt.Errorf("controller: provisioner: %w", err)
		}
		deps.Provisioner = p
	}
	clock := deps.Clock
	if clock == nil {
		clock = realClock{}
	}
	logger := deps.Logger
	if logger == nil {
		logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	admin, err := api.ServiceToken(cfg.RunSecret, cfg.Service)
	if err != nil {
		return nil, fmt.Errorf("controller: %w", err)
	}
	ctx := context.Background()
	st, err := openStore(ctx, cfg.StateDir)
	if err != nil {
		return nil, fmt.Errorf("controller: %w", err)
	}
	c := &Controller{cfg: cfg, domains: map[string]*domain{}, auth: api.NewAuthenticator(admin), token: admin,
		env: &env{clock: clock, log: logger, store: st, prov: deps.Provisioner, service: cfg.Service,
			minPeriod: time.Duration(cfg.MinDecidePeriod), maxPeriod: time.Duration(cfg.MaxDecidePeriod), retryPeriod: time.Duration(cfg.RetryPeriod), resync: time.Duration(cfg.ResyncPeriod), stopLoss: cfg.StopLoss, stopLossWindow: time.Duration(cfg.StopLossWindow)}}
	for i, dc := range cfg.Domains {
		d, err := c.startDomain(ctx, i, dc, deps.Engines)
		if err != nil {
			st.close()
			return nil, fmt.Errorf("controller: %w", err)
		}
		node, err := api.NodeToken(cfg.RunSecret, dc.Name)
		if err != nil {
			st.close()
			return nil, fmt.Errorf("controller: %w", err)
		}
		c.auth.AddNode(dc.Name, node)
		c.domains[dc.Name] = d
		c.order = append(c.order, dc.Name)
	}
	return c, nil
}

// startDomain makes a domain's engine, recovers its stored state, queues
// the provisioner calls of recovery and initializes the engine.
func (c *Controller) startDomain(ctx context.Context, i int, dc DomainConf, engines Engines) (*domain, error) {
	eng, err := engines.New(dc.Engine)
	if err != nil {
		return nil, fmt.Errorf("domains[%d].engine: %w", i, err)
	}
	d := newDomain(dc, c.env, eng, time.Duration(c.cfg.DecidePeriod))
	s, err := c.env.store.load(ctx, dc.Name)
	if err != nil {
		return nil, fmt.Errorf("domain %q: %w", dc.Name, err)
	}
	conf := engine.Conf{}
	for k, v := range dc.EngineConf {
		conf[k] = v
	}
	for _, r := range s.reconfs {
		for k, v := range r {
			conf[k] = v // "engines must handle the same values in configure and reconfigure"
		}
	}
	if pv, ok := conf[engine.ProvisionerVarsKey]; ok {
		// The original's controller reads the vars of its launches from
		// the engine configuration at start (engines push later changes
		// through Configure).
		p, err := engine.ParseParams(engine.Conf{engine.ProvisionerVarsKey: pv})
		if err != nil {
			return nil, fmt.Errorf("domain %q: engine_conf: %w", dc.Name, err)
		}
		d.provVars = p.ProvisionerVars
	}
	var dump []string
	for _, in := range s.instances {
		d.instances[in.InstanceID] = in
		// As the original: every instance not yet TERMINATED, REQUESTING
		// ones included (one the provisioner never got comes back FAILED
		// and the engine replaces it; its launch is not sent again, which
		// could race with that answer).
		if in.State.Before(epu.Terminated) {
			dump = append(dump, in.InstanceID)
		}
	}
	for _, sn := range s.sensors {
		d.sensors[sn.SensorID] = sn
	}
	if len(dump) > 0 {
		d.queue(&action{kind: dumpAction, ids: dump})
	}
	_, canList := c.env.prov.(NodeLister)
	d.adopting = len(s.instances) == 0 && canList
	d.logger().Info("domain recovered", "event", "domain_recovered", "instances", len(s.instances),
		"dump_state", len(dump), "sensors", len(s.sensors), "reconfigurations", len(s.reconfs))
	if err := d.initialize(ctx, conf); err != nil {
		return nil, err
	}
	return d, nil
}

// Close releases the store; call it after Run returned.
func (c *Controller) Close() error { return c.env.store.close() }

// Run serves the API on ln, writes the token and api_url files, and runs
// each domain's loop (and sensor command) until ctx ends; then it stops
// serving and returns. The URL given to the provisioner is advertise_url,
// or http://<ln's address> when ln listens on a specific address.
func (c *Controller) Run(ctx context.Context, ln net.Listener) error {
	url := c.cfg.AdvertiseURL
	if url == "" {
		host, _, err := net.SplitHostPort(ln.Addr().String())
		if err != nil {
			return fmt.Errorf("controller: %w", err)
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			return fmt.Errorf("controller: listening on %s, which the provisioner cannot reach: set advertise_url: %w", ln.Addr(), ErrConfig)
		}
		url = api.URL(ln.Addr().String())
	}
	c.env.self = epu.Subscriber{Service: c.cfg.Service, URL: url}
	if err := api.WriteToken(c.cfg.StateDir, c.token); err != nil {
		return fmt.Errorf("controller: %w", err)
	}
	if err := writePrivate(filepath.Join(c.cfg.StateDir, APIURLFile), url+"\n"); err != nil {
		return fmt.Errorf("controller: %w", err)
	}
	srv := &http.Server{Handler: c.Handler(), ReadHeaderTimeout: 10 * time.Second}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("controller: serve: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	c.env.log.Info("controller serving", "event", "controller_started", "api_url", url, "domains", c.order)
	for _, name := range c.order {
		d := c.domains[name]
		g.Go(func() error { return d.loop(gctx) })
		if d.conf.SensorCmd != "" {
			g.Go(func() error { return d.sensorLoop(gctx) })
		}
	}
	return g.Wait()
}

// writePrivate writes a small file readable by its owner only.
func writePrivate(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

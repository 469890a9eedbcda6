package provisioner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/iaas"
)

// Deps are what New is given besides the configuration.
type Deps struct {
	// Registry builds the drivers of the deployable types (required).
	Registry *iaas.Registry
	// Clock drives the loops, timeouts and records' times (system clock when nil).
	Clock iaas.Clock
	// Logger receives the JSON event lines and diagnostics (discarded when nil).
	Logger *slog.Logger
	// Contextualizer makes a STARTED worker RUNNING (required; the dry
	// run is DryRunContextualizer). A HostKeyPinner is given the store
	// to pin the workers' host keys in.
	Contextualizer Contextualizer
	// HTTP makes the pushes to subscribers (a client with no timeout of
	// its own when nil; each push has push.timeout).
	HTTP *http.Client
}

// Provisioner is the daemon. New opens its records; Run serves the API
// and runs the loops until its context ends, then closes the records.
type Provisioner struct {
	cfg   Config
	clock iaas.Clock
	log   *slog.Logger
	ctxz  Contextualizer
	store Store
	token string // the admin token

	drivers  *drivers
	backoffs *backoffs
	notifier *notifier
	handler  http.Handler

	kick   chan struct{} // wakes the terminator
	launch chan struct{} // launch calls in flight (semaphore)

	provMu    sync.Mutex            // provision's decisions
	admitting map[string]*admission // launch id -> request being stored (provMu)

	subsMu sync.Mutex
	subs   map[string][]epu.Subscriber // launch id -> subscribers (cache)

	mu       sync.Mutex
	ctx      context.Context // Run's, for work the API starts; nil before Run
	work     sync.WaitGroup  // launch and contextualization goroutines
	inflight map[string]bool // nodes whose launch call is in progress
	ctxing   map[string]bool // nodes being contextualized
	closed   bool
}

// New checks cfg, opens the records in cfg.StateDir and returns the
// provisioner, not yet running.
func New(cfg Config, deps Deps) (*Provisioner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("provisioner config: %w", err)
	}
	if deps.Registry == nil || deps.Contextualizer == nil {
		return nil, errors.New("provisioner: a driver registry and a contextualizer are required")
	}
	p := &Provisioner{
		cfg: cfg, clock: deps.Clock, log: deps.Logger, ctxz: deps.Contextualizer,
		kick: make(chan struct{}, 1), launch: make(chan struct{}, cfg.LaunchConcurrency),
		admitting: map[string]*admission{}, inflight: map[string]bool{}, ctxing: map[string]bool{}, subs: map[string][]epu.Subscriber{},
	}
	if p.clock == nil {
		p.clock = iaas.SystemClock()
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	tok, err := api.ServiceToken(cfg.RunSecret, cfg.Service)
	if err != nil {
		return nil, fmt.Errorf("provisioner: %w", err)
	}
	p.token = tok
	p.drivers, err = newDrivers(deps.Registry, cfg, p.clock, p.log)
	if err != nil {
		return nil, err
	}
	p.backoffs = newBackoffs(cfg.Backoff, p.clock)
	p.store, err = OpenStore(context.Background(), cfg.StateDir)
	if err != nil {
		return nil, err
	}
	if hp, ok := p.ctxz.(HostKeyPinner); ok {
		p.ctxz = hp.PinHostKeys(p.store)
	}
	hc := deps.HTTP
	if hc == nil {
		hc = &http.Client{}
	}
	p.notifier = newNotifier(cfg.Push, cfg.RunSecret, hc, p.clock, p.log)
	p.handler = p.routes()
	return p, nil
}

// Handler is the API (docs/epu-api.md, "Provisioner"). Calls that start
// work (provision, terminations) need Run to be running.
func (p *Provisioner) Handler() http.Handler { return p.handler }

// Run serves the API on ln, writes <state_dir>/token and api_url, recovers
// the records (recover.go) and runs the query and terminator loops until
// ctx ends. It then stops serving, waits for the launches and pushes in
// flight (bounded by their own timeouts) and closes the records. Run is
// called once.
func (p *Provisioner) Run(ctx context.Context, ln net.Listener) error {
	defer p.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := api.WriteToken(p.cfg.StateDir, p.token); err != nil {
		return err
	}
	if err := writeFile0600(filepath.Join(p.cfg.StateDir, "api_url"), api.URL(ln.Addr().String())+"\n"); err != nil {
		return err
	}
	srv := &http.Server{Handler: p.handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	p.start(ctx)
	p.event(ctx, "provisioner_started", "api_url", api.URL(ln.Addr().String()), "run_id", p.cfg.Run.String())
	var err error
	select {
	case <-ctx.Done():
	case err = <-served:
		cancel()
	}
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer scancel()
	_ = srv.Shutdown(sctx) // the connections left are closed below
	srv.Close()
	p.stop()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// start begins the background work of a running provisioner: recovery,
// then the query and terminator loops, all owned by p.work.
func (p *Provisioner) start(ctx context.Context) {
	p.mu.Lock()
	p.ctx = ctx
	p.mu.Unlock()
	p.notifier.start(ctx)
	p.work.Add(1)
	go func() {
		defer p.work.Done()
		p.recover(ctx)
		p.work.Add(2)
		go func() { defer p.work.Done(); p.queryLoop(ctx) }()
		go func() { defer p.work.Done(); p.terminatorLoop(ctx) }()
	}()
}

// stop waits for the background work (its context must be done) and the
// pushes.
func (p *Provisioner) stop() {
	p.mu.Lock()
	p.ctx = nil // goWork starts nothing more
	p.mu.Unlock()
	p.work.Wait()
	p.notifier.wait()
}

// Close closes the records; Run calls it. It is safe to call twice.
func (p *Provisioner) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	return p.store.Close()
}

// goWork runs f in a goroutine owned by p.work with Run's context; false
// when Run is not running (the work is then done at the next start by
// recovery).
func (p *Provisioner) goWork(f func(ctx context.Context)) bool {
	p.mu.Lock()
	ctx := p.ctx
	if ctx == nil {
		p.mu.Unlock()
		return false
	}
	p.work.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.work.Done()
		f(ctx)
	}()
	return true
}

// wake asks the terminator to run now.
func (p *Provisioner) wake() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func writeFile0600(path, content string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

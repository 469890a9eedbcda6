package controller

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// scriptedEngine is a test engine whose calls run the functions given.
type scriptedEngine struct {
	mu          sync.Mutex
	calls       []string
	initConf    engine.Conf
	decide      func(n int, c engine.Control, s *engine.State) error
	reconfigure func(c engine.Control, conf engine.Conf) error
	de          epu.DEState
}

func (e *scriptedEngine) Initialize(_ engine.Control, _ *engine.State, conf engine.Conf) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, "initialize")
	e.initConf = conf
	return nil
}

func (e *scriptedEngine) Decide(c engine.Control, s *engine.State) error {
	e.mu.Lock()
	e.calls = append(e.calls, "decide")
	n, f := len(e.calls), e.decide
	e.mu.Unlock()
	if f != nil {
		return f(n, c, s)
	}
	return nil
}

func (e *scriptedEngine) Reconfigure(c engine.Control, conf engine.Conf) error {
	e.mu.Lock()
	e.calls = append(e.calls, "reconfigure")
	f := e.reconfigure
	e.mu.Unlock()
	if f != nil {
		return f(c, conf)
	}
	return engine.ErrNoReconfigure
}

func (e *scriptedEngine) DEState() epu.DEState {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.de
}

func (e *scriptedEngine) setDE(s epu.DEState) { e.mu.Lock(); e.de = s; e.mu.Unlock() }

func (e *scriptedEngine) callList() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.calls)
}

// syncBuffer is a log sink safe for the controller's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// harness is a controller over a fake clock, a fake provisioner and a
// real store in a temporary directory.
type harness struct {
	t     *testing.T
	cfg   Config
	clock *fakeClock
	prov  *fakeProvisioner
	reg   *engine.Registry
	logs  *syncBuffer
	c     *Controller
	self  epu.Subscriber
}

const testSecret = "s3cret-run"

// testConfig is one domain "d" of deployable type "worker", capped at 10.
func testConfig(dir string, eng string, conf engine.Conf) Config {
	return Config{Service: "epu-test", RunSecret: testSecret, StateDir: dir, Listen: "127.0.0.1:0",
		Provisioner: Peer{Service: "provisioner", URL: "http://127.0.0.1:1"},
		Domains:     []DomainConf{{Name: "d", DeployableType: "worker", Engine: eng, EngineConf: conf, MaxSize: 10}}}
}

// newHarness starts a controller; scripted, when not nil, is registered as
// engine "scripted".
func newHarness(t *testing.T, cfg Config, scripted *scriptedEngine) *harness {
	t.Helper()
	reg := engine.Builtin()
	if scripted != nil {
		if err := reg.Register("scripted", func() engine.Engine { return scripted }); err != nil {
			t.Fatal(err)
		}
	}
	h := &harness{t: t, cfg: cfg, clock: newFakeClock(), prov: &fakeProvisioner{}, reg: reg, logs: &syncBuffer{}}
	h.start()
	return h
}

// start makes (again) the controller over the same directory, clock and
// provisioner.
func (h *harness) start() {
	h.t.Helper()
	c, err := New(h.cfg, Deps{Engines: h.reg, Provisioner: h.prov, Clock: h.clock,
		Logger: slog.New(slog.NewJSONHandler(h.logs, nil))})
	if err != nil {
		h.t.Fatal(err)
	}
	h.self = epu.Subscriber{Service: h.cfg.Service, URL: "http://127.0.0.1:9/"}
	c.env.self = h.self // what Run sets from its listener
	h.c = c
	h.t.Cleanup(func() { c.Close() })
}

// restart closes the controller and starts another on the same state.
func (h *harness) restart() {
	h.t.Helper()
	if err := h.c.Close(); err != nil {
		h.t.Fatal(err)
	}
	h.start()
}

func (h *harness) domain() *domain { return h.c.domains["d"] }

// cycle runs one decide and sends what it queued, as the loop does.
func (h *harness) cycle() {
	d := h.domain()
	d.decide(context.Background())
	d.flush(context.Background())
}

// push delivers a node record as the provisioner would.
func (h *harness) push(id string, s epu.State) {
	h.t.Helper()
	if _, _, _, err := h.domain().ingestNode(context.Background(), epu.Node{NodeID: id, State: s, IaaSID: "i-" + id[:4]}); err != nil {
		h.t.Fatal(err)
	}
}

// instance returns the controller's record of id.
func (h *harness) instance(id string) engine.Instance {
	d := h.domain()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.instances[id]
}

// ids returns the domain's instance ids in the given states.
func (h *harness) ids(states ...epu.State) []string {
	d := h.domain()
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for id, in := range d.instances {
		if slices.Contains(states, in.State) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// launchN makes the scripted engine launch n instances at its next decide.
func launchN(n int) func(int, engine.Control, *engine.State) error {
	return func(_ int, c engine.Control, _ *engine.State) error {
		var errs []error
		for range n {
			if _, _, err := c.Launch("", "", "", nil); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
}

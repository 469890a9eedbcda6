package bootlevel

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/store"
	"github.com/cloudinitd/cloudinitd/verify"
)

// harness is one run on a fake cloud (memory mode, zero delays) with local
// programs, a real record in a temp dir and an event recorder.
type harness struct {
	t      *testing.T
	dir    string // plan files
	work   string // REMOTE_WORKING_DIR_ENV
	logs   string
	dbDir  string
	env    map[string]string
	cloud  *fake.Driver
	count  *countingDriver
	db     *store.DB
	eng    *Engine
	events *recorder
	// recorded is the image RecordImage returned when the plan was
	// recorded (BootOptions.Recorded).
	recorded *Recorded
}

const testRun = "r1"

// newHarness writes files (name -> content) into a plan directory, loads
// top.conf, records it and returns an engine on it. env adds variables to
// the environment the plan is loaded with (credentials).
func newHarness(t *testing.T, files map[string]string, env ...map[string]string) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), work: t.TempDir(), logs: t.TempDir(), dbDir: t.TempDir()}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(h.dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h.env = map[string]string{
		"CLOUDINITD_FAKE_RUNNING_DELAY":   "0",
		"CLOUDINITD_FAKE_TERMINATE_DELAY": "0",
		remote.WorkDirEnv:                 h.work,
	}
	for _, m := range env {
		for k, v := range m {
			h.env[k] = v
		}
	}
	p, err := plan.Load(context.Background(), filepath.Join(h.dir, "top.conf"), plan.Options{LookupEnv: h.lookup})
	if err != nil {
		t.Fatalf("load plan: %v", err)
	}
	cloud, err := fake.New(fake.Options{Memory: true, LookupEnv: h.lookup})
	if err != nil {
		t.Fatal(err)
	}
	h.cloud = cloud
	h.count = &countingDriver{Driver: cloud, ids: map[string]bool{}}
	db, err := store.Create(context.Background(), h.dbDir, testRun, store.Run{TopConf: p.TopFile})
	if err != nil {
		t.Fatal(err)
	}
	h.recorded, err = RecordImage(context.Background(), db, p)
	if err != nil {
		t.Fatal(err)
	}
	h.db = db
	h.eng = h.newEngine(db, h.count)
	t.Cleanup(func() { _ = h.eng.Connector.Close(); _ = h.db.Close() })
	return h
}

// runID is the full id of the harness's run (name and incarnation), what
// the engine launches under.
func (h *harness) runID() iaas.RunID {
	return iaas.RunID{Name: testRun, Incarnation: h.db.Incarnation()}
}

// token is the client token the engine gives svc's launch attempt.
func (h *harness) token(svc string, attempt int) string { return h.run().clientToken(svc, attempt) }

// run begins a command's run value on the harness's engine (its image of
// the record as it is now), for tests of the engine's helpers.
func (h *harness) run() *run {
	h.t.Helper()
	rn, err := h.eng.begin(testCtx(h.t), CommandBoot)
	if err != nil {
		h.t.Fatal(err)
	}
	return rn
}

func (h *harness) lookup(k string) (string, bool) { v, ok := h.env[k]; return v, ok }

// newEngine builds an engine on db whose driver is d.
func (h *harness) newEngine(db *store.DB, d iaas.Driver) *Engine {
	h.events = &recorder{}
	return &Engine{
		DB:        db,
		Drivers:   func(iaas.Selector) (iaas.Driver, error) { return d, nil },
		Connector: NewSSHConnector(db, remote.SSHOptions{Getenv: func(string) string { return "" }, Grace: time.Second, RetryMin: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond}),
		Observer:  h.events,
		LogDir:    h.logs,
		LookupEnv: h.lookup,
		Waits: Waits{
			Running: &verify.Backoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond},
			SSH:     &verify.Backoff{Initial: 10 * time.Millisecond, Attempts: 2},
		},
	}
}

// reopen closes the record and opens it again with a fresh engine on a
// clone of the cloud, as a new process would.
func (h *harness) reopen() *Engine {
	h.t.Helper()
	_ = h.eng.Connector.Close()
	if err := h.db.Close(); err != nil {
		h.t.Fatal(err)
	}
	db, err := store.Open(context.Background(), h.dbDir, testRun)
	if err != nil {
		h.t.Fatal(err)
	}
	h.db = db
	h.count = &countingDriver{Driver: h.cloud.Clone(), ids: map[string]bool{}}
	h.eng = h.newEngine(db, h.count)
	return h.eng
}

func (h *harness) service(name string) store.Service {
	h.t.Helper()
	s, err := h.db.Service(context.Background(), name)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// instanceState asks the cloud about an instance.
func (h *harness) instanceState(id string) iaas.State {
	h.t.Helper()
	is, err := h.cloud.Describe(context.Background(), iaas.Ref{ID: id})
	if err != nil {
		h.t.Fatal(err)
	}
	return is[0].State
}

func (h *harness) stage(svc, file string) string { return filepath.Join(h.work, svc, file) }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// recorder keeps every event.
type recorder struct {
	mu sync.Mutex
	ev []Event
}

func (r *recorder) Event(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ev = append(r.ev, e)
}

func (r *recorder) all() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.ev...)
}

// states returns the state events of svc in order.
func (r *recorder) states(svc string) []string {
	var out []string
	for _, e := range r.all() {
		if e.Service == svc && e.Kind == KindState {
			out = append(out, e.State)
		}
	}
	return out
}

// countingDriver is a test wrapper counting the distinct instances Launch
// returned and the Launch calls made.
type countingDriver struct {
	iaas.Driver
	mu    sync.Mutex
	calls int
	ids   map[string]bool
}

func (c *countingDriver) Launch(ctx context.Context, spec iaas.LaunchSpec) (iaas.Instance, error) {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	in, err := c.Driver.Launch(ctx, spec)
	if err == nil {
		c.mu.Lock()
		c.ids[in.ID] = true
		c.mu.Unlock()
	}
	return in, err
}

func (c *countingDriver) Unwrap() iaas.Driver { return c.Driver }

func (c *countingDriver) instances() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ids)
}

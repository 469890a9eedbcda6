package provisioner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
)

const testSecret = "test-run-secret"

var testRun = iaas.RunID{Name: "epurun", Incarnation: "abc123"}

// harness is a provisioner on the fake driver with a fake clock and real
// SQLite in a temporary directory, restartable on the same state.
type harness struct {
	t     *testing.T
	clock *fakeClock
	cfg   Config
	ctxz  Contextualizer
	logs  *syncBuffer

	p      *Provisioner
	client *Client
	cancel context.CancelFunc
	done   chan error
}

func testConfig(t *testing.T) Config {
	dir := t.TempDir()
	return Config{
		Service: "provisioner", RunID: testRun.String(), RunSecret: testSecret,
		StateDir: filepath.Join(dir, "state"), Listen: "127.0.0.1:0", IaaSStateDir: filepath.Join(dir, "cloud"),
		DeployableTypes: map[string]DeployableType{
			"sleeper": {IaaS: "fake", Image: "img", Allocation: "small",
				Options: map[string]string{fake.KeyRunningDelay: "5s", fake.KeyTerminateDelay: "0"}},
		},
	}
}

func newHarness(t *testing.T, edit func(*Config)) *harness {
	t.Helper()
	cfg := testConfig(t)
	if edit != nil {
		edit(&cfg)
	}
	h := &harness{t: t, clock: newFakeClock(), cfg: cfg, ctxz: DryRunContextualizer{}, logs: &syncBuffer{}}
	return h
}

func testRegistry() *iaas.Registry {
	reg := iaas.NewRegistry()
	reg.Register(fake.Entry())
	return reg
}

// start runs the provisioner (Run) on a loopback listener.
func (h *harness) start() {
	h.t.Helper()
	p, err := New(h.cfg, Deps{Registry: testRegistry(), Clock: h.clock, Contextualizer: h.ctxz,
		Logger: slog.New(slog.NewJSONHandler(h.logs, nil))})
	if err != nil {
		h.t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.p, h.cancel, h.done = p, cancel, make(chan error, 1)
	go func() { h.done <- p.Run(ctx, ln) }()
	tok, _ := api.ServiceToken(testSecret, h.cfg.Service)
	h.client = NewClient(api.URL(ln.Addr().String()), tok, nil)
	h.t.Cleanup(h.stop)
}

// stop ends Run and waits for it.
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	if err := <-h.done; err != nil {
		h.t.Errorf("Run: %v", err)
	}
	h.cancel = nil
}

// restart stops and starts a new provisioner on the same state and cloud.
func (h *harness) restart() {
	h.t.Helper()
	h.stop()
	h.start()
}

// cloud is a fresh fake driver on the harness's cloud: a process of its own.
func (h *harness) cloud() *fake.Driver {
	h.t.Helper()
	d, err := fake.New(fake.Options{Dir: filepath.Join(h.cfg.IaaSStateDir, fake.Name), Clock: h.clock})
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

// live returns the run's instances the cloud has that are not final.
func (h *harness) live() []iaas.Instance {
	h.t.Helper()
	all, err := h.cloud().FindByRun(context.Background(), testRun)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []iaas.Instance
	for _, in := range all {
		if !in.State.Final() {
			out = append(out, in)
		}
	}
	return out
}

func (h *harness) provision(launchID string, nodes ...string) ProvisionResult {
	h.t.Helper()
	res, err := h.client.Provision(context.Background(), epu.ProvisionRequest{LaunchID: launchID, DeployableType: "sleeper", NodeIDs: nodes})
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

// node returns a node's record through the API.
func (h *harness) node(id string) epu.Node {
	h.t.Helper()
	ns, err := h.client.DescribeNodes(context.Background(), id)
	if err != nil || len(ns) != 1 {
		h.t.Fatalf("describe %s: %v %v", id, ns, err)
	}
	return ns[0]
}

// waitBudget bounds the tests' waits for a condition in real time. It is
// generous: a wait ends as soon as its condition holds, and under load
// (ten to thirty -race copies at load ~30 on two cores) one step of
// TestAdoptOrReap took up to 2.5 s, eight times its quiet time; the
// machine is often at load 50-90.
const waitBudget = 60 * time.Second

// waitFor polls cond (real time, waitBudget) while the fake clock stands
// still.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(waitBudget)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s\nlog:\n%s", what, h.logs.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitState waits until every node is in state s.
func (h *harness) waitState(s epu.State, ids ...string) {
	h.t.Helper()
	h.waitFor(strings.Join(ids, ",")+" "+string(s), func() bool {
		for _, id := range ids {
			ns, err := h.client.DescribeNodes(context.Background(), id)
			if err != nil || len(ns) != 1 || ns[0].State != s {
				return false
			}
		}
		return true
	})
}

// query runs one query pass now.
func (h *harness) query() {
	h.t.Helper()
	if err := h.p.Query(context.Background()); err != nil {
		h.t.Fatal(err)
	}
}

// events returns the event lines with the given key.
func (h *harness) events(key string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(h.logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["event"] == key {
			out = append(out, m)
		}
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var errCtx = errors.New("contextualization failed on purpose")

// offline opens the harness's state without running it, for a test to
// shape records as a crash would have left them; Close before start.
func (h *harness) offline() *Provisioner {
	h.t.Helper()
	p, err := New(h.cfg, Deps{Registry: testRegistry(), Clock: h.clock, Contextualizer: h.ctxz,
		Logger: slog.New(slog.NewJSONHandler(h.logs, nil))})
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// toRunning provisions nodes under launchID and brings them to RUNNING.
func (h *harness) toRunning(launchID string, nodes ...string) {
	h.t.Helper()
	h.provision(launchID, nodes...)
	h.waitState(epu.Pending, nodes...)
	h.clock.Advance(5 * time.Second)
	h.query()
	h.waitState(epu.Running, nodes...)
}

// liveIDs returns the ids of the run's live instances, sorted.
func (h *harness) liveIDs() []string {
	var ids []string
	for _, in := range h.live() {
		ids = append(ids, in.ID)
	}
	slices.Sort(ids)
	return ids
}

func decodeBody(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// advanceUntil moves the fake clock by step until cond holds (waitBudget
// of real time at most): for waits whose sleeper may not be asleep yet.
func (h *harness) advanceUntil(what string, step time.Duration, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(waitBudget)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s\nlog:\n%s", what, h.logs.String())
		}
		h.clock.Advance(step)
		time.Sleep(2 * time.Millisecond)
	}
}

// is reports whether node id is in state s.
func (h *harness) is(id string, s epu.State) bool {
	ns, err := h.client.DescribeNodes(context.Background(), id)
	return err == nil && len(ns) == 1 && ns[0].State == s
}

func refOf(n nodeRec) iaas.Ref { return iaas.Ref{ID: n.IaaSID, Handle: n.Handle} }

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

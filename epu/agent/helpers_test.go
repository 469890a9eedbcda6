package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// fakeClock moves only by Advance, which fires the channels of After that
// fell due.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, fakeWaiter{at: c.now.Add(d), ch: ch})
	return ch
}

func (c *fakeClock) pending() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.waiters) }

// advance waits until both of the agent's loops wait on the clock (their
// round is over), then moves it by d.
func (c *fakeClock) advance(t *testing.T, d time.Duration) {
	t.Helper()
	waitFor(t, "the agent's loops to wait", func() bool { return c.pending() >= 2 })
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waiters = slices.DeleteFunc(c.waiters, func(w fakeWaiter) bool {
		if w.at.After(c.now) {
			return false
		}
		w.ch <- c.now
		return true
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

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

// events returns the event keys logged, in order.
func (s *syncBuffer) events() []string {
	var out []string
	for _, l := range bytes.Split([]byte(s.String()), []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(l, &m) == nil {
			if e, ok := m["event"].(string); ok {
				out = append(out, e)
			}
		}
	}
	return out
}

// recorder is a controller stand-in that records the node calls it gets.
type recorder struct {
	mu         sync.Mutex
	heartbeats []epu.Heartbeat
	stops      []engine.StopRequest
	tokens     []string
}

func (r *recorder) serve(t *testing.T) string {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/heartbeat", func(w http.ResponseWriter, req *http.Request) {
		var hb epu.Heartbeat
		json.NewDecoder(req.Body).Decode(&hb)
		r.mu.Lock()
		r.heartbeats = append(r.heartbeats, hb)
		r.tokens = append(r.tokens, req.Header.Get("Authorization"))
		r.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"node_id": hb.NodeID, "domain": "d", "monitored": true, "health": hb.State})
	})
	mux.HandleFunc("POST /v1/domains/d/shutdown", func(w http.ResponseWriter, req *http.Request) {
		var s engine.StopRequest
		json.NewDecoder(req.Body).Decode(&s)
		r.mu.Lock()
		r.stops = append(r.stops, s)
		r.mu.Unlock()
		json.NewEncoder(w).Encode(engine.StopAnswer{NodeID: s.NodeID, Granted: true, Reason: "test"})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func (r *recorder) last() (epu.Heartbeat, int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.heartbeats) == 0 {
		return epu.Heartbeat{}, 0, len(r.stops)
	}
	return r.heartbeats[len(r.heartbeats)-1], len(r.heartbeats), len(r.stops)
}

// testAgent is a running agent on a fresh home.
type testAgent struct {
	a     *Agent
	home  Home
	clock *fakeClock
	logs  *syncBuffer
	done  chan error
}

func testConfig(t *testing.T, url string) Config {
	return Config{NodeID: "n1", Domain: "d", Controller: url, NodeToken: "node-tok", Home: t.TempDir(),
		HeartbeatPeriod: Duration(30 * time.Second), HealthcheckPeriod: Duration(10 * time.Minute),
		HealthcheckTimeout: Duration(2 * time.Second), CallTimeout: Duration(5 * time.Second)}
}

// script writes an executable file into the home's healthcheck.d.
func script(t *testing.T, h Home, name, body string) {
	t.Helper()
	if err := os.MkdirAll(h.HealthcheckDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.HealthcheckDir(), name), []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
}

// start runs an agent for cfg until the test ends.
func start(t *testing.T, cfg Config) *testAgent {
	t.Helper()
	ta := &testAgent{home: Home(cfg.Home), clock: newFakeClock(), logs: &syncBuffer{}, done: make(chan error, 1)}
	a, err := New(cfg, Deps{Clock: ta.clock, Logger: slog.New(slog.NewJSONHandler(ta.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	ta.a = a
	ctx, cancel := context.WithCancel(context.Background())
	go func() { ta.done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-ta.done; err != nil {
			t.Errorf("agent: %v", err)
		}
	})
	return ta
}

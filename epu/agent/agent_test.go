package agent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
)

// outcomes returns each check's outcome by name.
func outcomes(v Verdict) map[string]string {
	out := map[string]string{}
	for _, c := range v.Checks {
		out[c.Name] = c.Outcome
	}
	return out
}

// The health checks: only exit 254 is unhealthy; a failing script is
// logged; a hanging one is killed at its timeout, logged, and not
// counted; the verdict is reported in the heartbeat and as an unhealthy
// stop, once per spell.
func TestHealthChecks(t *testing.T) {
	rec := &recorder{}
	cfg := testConfig(t, rec.serve(t))
	cfg.HealthcheckTimeout = Duration(2 * time.Second) // wide enough for "exit 0" on a loaded machine; "sleep 60" still times out
	h := Home(cfg.Home)
	script(t, h, "10-ok", "exit 0")
	script(t, h, "20-buggy", "echo oops; exit 3")
	script(t, h, "30-hangs", "sleep 60")
	if err := os.WriteFile(filepath.Join(h.HealthcheckDir(), "40-not-executable"), []byte("exit 254"), 0o600); err != nil {
		t.Fatal(err)
	}
	ta := start(t, cfg)
	waitFor(t, "the first round", func() bool { return len(ta.a.Verdict().Checks) > 0 })
	v := ta.a.Verdict()
	want := map[string]string{"healthcheck.d/10-ok": "ok", "healthcheck.d/20-buggy": "failed", "healthcheck.d/30-hangs": "timeout",
		"converge_timeout": "ok", "scheduled_shutdown": "ok"}
	if diff := cmp.Diff(want, outcomes(v)); diff != "" || !v.Healthy {
		t.Errorf("first round: healthy %v, outcomes (-want +got):\n%s", v.Healthy, diff)
	}
	for _, e := range []string{"healthcheck_failed", "healthcheck_timeout"} {
		if !slices.Contains(ta.logs.events(), e) {
			t.Errorf("no %s event in the log:\n%s", e, ta.logs)
		}
	}
	if hb, _, _ := rec.last(); hb.State != epu.HealthOK || hb.NodeID != "n1" {
		t.Errorf("heartbeat %+v, want OK from n1", hb)
	}
	script(t, h, "50-disk", "echo disk gone; exit 254")
	ta.clock.advance(t, 10*time.Minute)
	waitFor(t, "an unhealthy stop request", func() bool { _, _, stops := rec.last(); return stops == 1 })
	hb, _, _ := rec.last()
	if hb.State != epu.HealthProcessError || !strings.Contains(hb.Error, "healthcheck.d/50-disk: exit 254") || hb.ErrorTime == 0 {
		t.Errorf("heartbeat after the 254: %+v", hb)
	}
	spell := hb.ErrorTime
	ta.clock.advance(t, 10*time.Minute) // still unhealthy: no second stop request, same spell
	waitFor(t, "the third round", func() bool { return ta.a.Verdict().Time.Equal(ta.clock.Now()) })
	ta.clock.advance(t, 30*time.Second)
	waitFor(t, "a heartbeat of the same spell", func() bool { hb, n, _ := rec.last(); return n >= 4 && hb.ErrorTime == spell })
	if _, _, stops := rec.last(); stops != 1 {
		t.Errorf("%d stop requests for one unhealthy spell, want 1", stops)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, tok := range rec.tokens {
		if tok != "Bearer node-tok" {
			t.Fatalf("a call carried %q, not the node token", tok)
		}
	}
}

// keepalive suppresses the local verdict: heartbeats stay OK and no stop
// is asked; when it ends, the verdict is reported.
func TestKeepAlive(t *testing.T) {
	rec := &recorder{}
	cfg := testConfig(t, rec.serve(t))
	h := Home(cfg.Home)
	script(t, h, "check", "exit 254")
	if err := os.MkdirAll(filepath.Join(cfg.Home, "run"), 0o700); err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	if err := h.SetKeepAlive(clock.Now().Add(15*time.Minute), false); err != nil {
		t.Fatal(err)
	}
	ta := start(t, cfg)
	waitFor(t, "the first round", func() bool { return len(ta.a.Verdict().Checks) > 0 })
	if v := ta.a.Verdict(); v.Healthy || v.Reported() || v.KeptAlive == "" {
		t.Errorf("kept alive: %+v", v)
	}
	ta.clock.advance(t, 10*time.Minute)
	waitFor(t, "the second round", func() bool { return ta.a.Verdict().Time.Equal(ta.clock.Now()) })
	if hb, n, stops := rec.last(); hb.State != epu.HealthOK || stops != 0 || n == 0 {
		t.Errorf("while kept alive: heartbeat %+v, %d stops", hb, stops)
	}
	ta.clock.advance(t, 10*time.Minute) // 20 min: the keepalive ended
	waitFor(t, "the stop request", func() bool { _, _, stops := rec.last(); return stops == 1 })
	if err := h.SetKeepAlive(time.Time{}, true); err != nil {
		t.Fatal(err)
	}
	ta.clock.advance(t, 10*time.Minute)
	waitFor(t, "a round kept alive forever", func() bool { return ta.a.Verdict().KeptAlive == "forever" })
}

// Built-in checks: the earliest scheduled_shutdown marker wins once its
// time came; a ready program that never passes within converge_timeout.
func TestBuiltinChecks(t *testing.T) {
	rec := &recorder{}
	cfg := testConfig(t, rec.serve(t))
	cfg.ReadyProgram = "test -e " + filepath.Join(cfg.Home, "ready")
	cfg.ConvergeTimeout = Duration(time.Hour)
	h := Home(cfg.Home)
	now := newFakeClock().Now()
	if err := h.Make(); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"late":  fmt.Sprintf("%d\nmaintenance window\n", now.Add(time.Hour).Unix()),
		"early": fmt.Sprintf("%d\nspot reclaim\n", now.Add(20*time.Minute).Unix()),
	} {
		if err := os.WriteFile(filepath.Join(h.ScheduledShutdownDir(), name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ta := start(t, cfg)
	waitFor(t, "the first round", func() bool { return len(ta.a.Verdict().Checks) > 0 })
	if !ta.a.Verdict().Healthy {
		t.Fatalf("unhealthy before any marker's time: %+v", ta.a.Verdict())
	}
	ta.clock.advance(t, 10*time.Minute)
	ta.clock.advance(t, 10*time.Minute) // 20 min: the early marker's time
	waitFor(t, "the 20-minute round", func() bool { return ta.a.Verdict().Time.Equal(ta.clock.Now()) })
	v := ta.a.Verdict()
	if v.Healthy || !strings.Contains(v.Reason(), "scheduled_shutdown: spot reclaim") || strings.Contains(v.Reason(), "converge") {
		t.Errorf("at 20 min: %+v", v)
	}
	for range 5 { // 70 min: past converge_timeout with the ready program failing
		ta.clock.advance(t, 10*time.Minute)
	}
	waitFor(t, "the 70-minute round", func() bool { return ta.a.Verdict().Time.Equal(ta.clock.Now()) })
	if got := outcomes(ta.a.Verdict())["converge_timeout"]; got != "unhealthy" {
		t.Errorf("converge_timeout after 70 min: %s", got)
	}
	if err := os.WriteFile(filepath.Join(cfg.Home, "ready"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ta.clock.advance(t, 10*time.Minute)
	waitFor(t, "the ready program to pass", func() bool { _, err := os.Stat(h.convergedFile()); return err == nil })
}

// An unreachable controller: logged once, the agent goes on and says so
// when it is back; the node stays up (nothing else happens).
func TestControllerUnreachable(t *testing.T) {
	cfg := testConfig(t, "http://127.0.0.1:1")
	ta := start(t, cfg)
	waitFor(t, "the first heartbeat", func() bool { return slices.Contains(ta.logs.events(), "controller_unreachable") })
	ta.clock.advance(t, 30*time.Second)
	ta.clock.advance(t, 30*time.Second)
	waitFor(t, "a third heartbeat try", func() bool {
		return strings.Count(ta.logs.String(), `"event":"controller_unreachable"`) >= 3
	})
	if n := strings.Count(ta.logs.String(), `"level":"WARN","msg":"controller unreachable`); n != 1 {
		t.Errorf("%d warnings for one outage, want 1:\n%s", n, ta.logs)
	}
}

// A second agent on one home is refused.
func TestOneAgentPerHome(t *testing.T) {
	rec := &recorder{}
	cfg := testConfig(t, rec.serve(t))
	ta := start(t, cfg)
	waitFor(t, "the agent's start", func() bool { _, err := Home(cfg.Home).Running(); return err == nil })
	b, err := New(cfg, Deps{Clock: ta.clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Run(t.Context()); !errors.Is(err, ErrAgentRunning) {
		t.Errorf("second agent: %v, want ErrAgentRunning", err)
	}
}

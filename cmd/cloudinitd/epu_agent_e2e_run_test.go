package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// TestAgentEndToEndLocal is issue 16's check on the local driver, with
// test-sized periods: 'epu node autoscale --instancecount 4' from a worker
// grows the pool to 4; a worker whose healthcheck.d script exits 254 is
// replaced (its run_on_shutdown hook runs first), one in 'keepalive
// forever' is not; a stop is refused while the target holds; without
// re-assertion the target expires and the workers that ask to stop are
// terminated. Outcomes are checked against the driver.
func TestAgentEndToEndLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("boots local-driver workers")
	}
	e := startE2E(t, []map[string]any{{"name": "auto", "deployable_type": "worker", "engine": "autoscale", "max_size": 6,
		"monitor_health": true, "health_boot_timeout": "120s", "health_missing_timeout": "10s",
		"engine_conf": map[string]any{"expiration_interval": "15s"}}})
	ctx := context.Background()
	target := func(n int) {
		if _, err := e.admin.Autoscale(ctx, "auto", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", TargetCount: &n}}}); err != nil {
			t.Fatal(err)
		}
	}
	// wait polls cond, asserting the target of 4 again every 5 s when
	// hold is set, so that it does not expire meanwhile.
	wait := func(what string, hold bool, cond func() bool) {
		t.Helper()
		deadline, next := time.Now().Add(3*time.Minute), time.Now()
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s (running %v, live %d)", what, e.running("auto"), len(e.live()))
			}
			if hold && time.Now().After(next) {
				target(4)
				next = time.Now().Add(5 * time.Second)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	target(1)
	wait("the first worker", false, func() bool { return len(e.running("auto")) == 1 })
	first := e.running("auto")[0]
	if code, out, errs := e.node(ctx, first, "autoscale", "--instancecount", "4"); code != 0 {
		t.Fatalf("epu node autoscale: exit %d\n%s%s", code, out, errs)
	}
	wait("4 workers", true, func() bool { return len(e.running("auto")) == 4 && len(e.live()) == 4 })

	if code, _, errs := e.node(ctx, first, "shutdown"); code != 1 {
		t.Errorf("a stop while the target of 4 holds: exit %d, %s; want refused (1)", code, errs)
	}
	ids := e.running("auto")
	slices.Sort(ids)
	kept, sick := ids[0], ids[1]
	ws, err := e.admin.WholeState(ctx, "auto")
	if err != nil {
		t.Fatal(err)
	}
	sickIaaS := ws.Instances[sick].IaaSID
	hookRan := filepath.Join(e.dir, "hook-ran")
	writeFile(t, filepath.Join(e.dir, "hook.sh"), "#!/bin/sh\necho \"$EPU_AGENT_HOME\" >"+hookRan+"\n", 0o700)
	for _, c := range [][]string{{kept, "keepalive", "forever"}, {sick, "run_on_shutdown", filepath.Join(e.dir, "hook.sh")}} {
		if code, out, errs := e.node(ctx, c[0], c[1:]...); code != 0 {
			t.Fatalf("epu node %v: exit %d\n%s%s", c[1:], code, out, errs)
		}
	}
	for _, id := range []string{kept, sick} {
		writeFile(t, filepath.Join(e.home(id), "sick"), "", 0o600)
	}
	gone := func(iaasID string) bool {
		for _, in := range e.live() {
			if in.ID == iaasID {
				return false
			}
		}
		return true
	}
	wait("the sick worker replaced", true, func() bool {
		r := e.running("auto")
		return gone(sickIaaS) && len(r) == 4 && !slices.Contains(r, sick)
	})
	if _, err := os.Stat(hookRan); err != nil {
		t.Errorf("the run_on_shutdown hook of the replaced worker did not run: %v", err)
	}
	if !slices.Contains(e.running("auto"), kept) {
		t.Errorf("the worker in keepalive forever was replaced")
	}

	// No more requests: once the target expired, every worker that asks
	// to stop is granted and terminated.
	time.Sleep(16 * time.Second)
	for _, id := range e.running("auto") {
		if code, _, errs := e.node(ctx, id, "shutdown"); code != 0 {
			t.Errorf("stop of %s after expiry: exit %d, %s", id, code, errs)
		}
	}
	wait("no worker left", false, func() bool { return len(e.live()) == 0 })
}

// TestAgentKilledMissingLocal: a worker whose agent was killed falls
// silent, becomes MISSING, and npreserving with monitor_health replaces
// it (checked against the driver).
func TestAgentKilledMissingLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("boots local-driver workers")
	}
	e := startE2E(t, []map[string]any{{"name": "keep", "deployable_type": "worker", "engine": "npreserving", "max_size": 3,
		"monitor_health": true, "health_boot_timeout": "120s", "health_missing_timeout": "2s",
		"engine_conf": map[string]any{"preserve_n": 1}}})
	ctx := context.Background()
	deadline := time.Now().Add(3 * time.Minute)
	waitE := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitE("the worker", func() bool { return len(e.running("keep")) == 1 })
	node := e.running("keep")[0]
	ws, err := e.admin.WholeState(ctx, "keep")
	if err != nil {
		t.Fatal(err)
	}
	iaasID := ws.Instances[node].IaaSID
	b, err := os.ReadFile(filepath.Join(filepath.Dir(e.home(node)), "agent.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill the agent %d: %v", pid, err)
	}
	waitE("the silent worker replaced", func() bool {
		r := e.running("keep")
		live := e.live()
		return len(r) == 1 && r[0] != node && len(live) == 1 && live[0].ID != iaasID
	})
	// The controller's log says why: the node turned MISSING.
	logged, err := os.ReadFile(filepath.Join(e.dir, "controller.log"))
	if err != nil {
		t.Fatal(err)
	}
	missing := false
	for _, l := range strings.Split(string(logged), "\n") {
		var ev map[string]any
		if json.Unmarshal([]byte(l), &ev) == nil && ev["event"] == "health_changed" && ev["node_id"] == node && ev["to"] == string(epu.HealthMissing) {
			missing = true
		}
	}
	if !missing {
		t.Errorf("the silent worker was replaced without turning MISSING; controller log:\n%s", logged)
	}
}

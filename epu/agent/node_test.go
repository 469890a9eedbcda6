package agent

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNodeWithoutAgent(t *testing.T) {
	_, err := OpenNode(Home(t.TempDir()))
	if !errors.Is(err, ErrNoAgent) || !strings.Contains(err.Error(), "epu agent --config FILE") {
		t.Errorf("OpenNode without an agent: %v", err)
	}
}

// The verbs that work on the node itself: config (never the token),
// keepalive, log's usage errors, run_on_shutdown and the hooks, test,
// report_issue.
func TestNodeVerbs(t *testing.T) {
	rec := &recorder{}
	cfg := testConfig(t, rec.serve(t))
	cfg.InstanceID = "i-0abc"
	cfg.ReadyProgram = "echo ready"
	cfg.Values = map[string]string{"autoscale_group_id": "execute:64-g1", "db_password": "hunter2", "queue": "work"}
	start(t, cfg)
	h := Home(cfg.Home)
	waitFor(t, "the agent", func() bool { _, err := h.Running(); return err == nil })
	n, err := OpenNode(h)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"node_id": "n1", "instance_id": "i-0abc", "domain": "d", "controller": cfg.Controller,
		"home": cfg.Home, "autoscale_group_id": "execute:64-g1", "queue": "work"}
	if diff := cmp.Diff(want, n.ConfigValues()); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	for _, k := range []string{"node_token", "db_password", "nope"} {
		if v, err := n.Config(k); err == nil {
			t.Errorf("config %s = %q, want an error", k, v)
		}
	}

	now := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	for _, arg := range []string{"soon", "-1h", "0s"} {
		if _, _, err := n.KeepAlive(arg, now); !errors.Is(err, ErrUsage) {
			t.Errorf("keepalive %q: %v, want a usage error", arg, err)
		}
	}
	for arg, want := range map[string]string{"": "2026-12-06T05:00:00Z", "6h": "2026-12-06T10:00:00Z", "forever": "forever"} {
		if _, _, err := n.KeepAlive(arg, now); err != nil {
			t.Fatal(err)
		}
		until, forever, ok, err := h.KeepAliveUntil()
		got := until.UTC().Format(time.RFC3339)
		if forever {
			got = "forever"
		}
		if err != nil || !ok || got != want {
			t.Errorf("keepalive %q: %s, %v; want %s", arg, got, err, want)
		}
	}
	for _, tc := range [][2]string{{"fatal", ""}, {"info", "urgent"}} {
		if _, err := n.Log(context.Background(), "m", tc[0], tc[1]); !errors.Is(err, ErrUsage) {
			t.Errorf("log --level %q --priority %q: %v, want a usage error", tc[0], tc[1], err)
		}
	}

	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	var hooks []string
	for i, body := range []string{"echo first >> " + out, "sleep 60", "echo third >> " + out + "; exit 1"} {
		p := filepath.Join(dir, "hook"+string(rune('a'+i)))
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
			t.Fatal(err)
		}
		hooks = append(hooks, p)
		if err := n.RunOnShutdown(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.RunOnShutdown(hooks[0]); err != nil { // again: registered once
		t.Fatal(err)
	}
	if err := n.RunOnShutdown("relative.sh"); err == nil {
		t.Error("a relative hook path was accepted")
	}
	if got, _ := h.Hooks(); !cmp.Equal(got, hooks) {
		t.Errorf("hooks %v, want %v", got, hooks)
	}
	failed, err := RunHooks(context.Background(), h, 300*time.Millisecond, slog.New(slog.NewJSONHandler(io.Discard, nil)), io.Discard)
	if b, _ := os.ReadFile(out); err != nil || failed != 2 || string(b) != "first\nthird\n" {
		t.Errorf("RunHooks: %d failed, %v, output %q; want 2 failed (the hanging one killed), first and third run", failed, err, b)
	}

	if a, err := n.Shutdown(context.Background(), true, now); err != nil || !a.Granted {
		t.Errorf("shutdown --unhealthy: %+v, %v", a, err)
	}
	if at, why, ok, err := h.ScheduledShutdown(); err != nil || !ok || !at.Equal(now) || why != "epu node shutdown --unhealthy" {
		t.Errorf("marker of an unhealthy stop: %v %q %v %v", at, why, ok, err)
	}

	var tout bytes.Buffer
	if err := n.Test(context.Background(), &tout, 5*time.Second); err != nil || tout.String() != "ready\n" {
		t.Errorf("test: %v, output %q", err, tout.String())
	}
	if err := os.WriteFile(filepath.Join(h.LogDir(), "agent.log"), []byte("{\"event\":\"x\"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	zipPath, err := n.ReportIssue(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "logs/agent.log" || !strings.HasPrefix(filepath.Base(zipPath), "d-n1-") {
		t.Errorf("report %s holds %v", zipPath, zr.File)
	}
}

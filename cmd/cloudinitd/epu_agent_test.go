package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/epu/controller"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// launches records a controller's provision requests.
type launches struct {
	mu  sync.Mutex
	ids []string
}

func (l *launches) Provision(_ context.Context, r epu.ProvisionRequest) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids = append(l.ids, r.NodeIDs...)
	return nil
}
func (l *launches) TerminateNodes(context.Context, []string) error        { return nil }
func (l *launches) DumpState(context.Context, epu.DumpStateRequest) error { return nil }
func (l *launches) count() int                                            { l.mu.Lock(); defer l.mu.Unlock(); return len(l.ids) }

// 'epu agent' and 'epu node VERB' against a real controller whose domain
// runs the autoscale engine: verbs without an agent say how to start one;
// usage errors exit 2; autoscale, log, shutdown (refused while demand
// holds), keepalive and config go through the running agent.
func TestEpuAgentAndNodeVerbs(t *testing.T) {
	const secret = "cli-secret"
	cfg := controller.Config{Service: "epu-w", RunSecret: secret, StateDir: t.TempDir(), Listen: "127.0.0.1:0",
		Provisioner:  controller.Peer{Service: "provisioner", URL: "http://127.0.0.1:1"},
		DecidePeriod: controller.Duration(50 * time.Millisecond), MinDecidePeriod: controller.Duration(10 * time.Millisecond),
		MaxDecidePeriod: controller.Duration(50 * time.Millisecond),
		Domains:         []controller.DomainConf{{Name: "w", DeployableType: "worker", Engine: "autoscale", MaxSize: 5, MonitorHealth: true}}}
	prov := &launches{}
	c, err := controller.New(cfg, controller.Deps{Engines: engine.Builtin(), Provisioner: prov})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, ln) }()
	defer func() { cancel(); <-done; c.Close() }()
	url := api.URL(ln.Addr().String())
	adminTok, _ := api.ServiceToken(secret, "epu-w")
	admin := controller.NewClient(url, adminTok)
	one := 1
	if _, err := admin.Autoscale(ctx, "w", engine.AutoscaleRequest{Arrays: []engine.ArrayRequest{{Name: "execute", TargetCount: &one}}}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a launch", func() bool { return prov.count() == 1 })
	prov.mu.Lock()
	node := prov.ids[0]
	prov.mu.Unlock()
	if _, err := admin.InstanceState(ctx, epu.Node{NodeID: node, State: epu.Running}); err != nil {
		t.Fatal(err)
	}

	home := filepath.Join(t.TempDir(), "agent")
	nodeTok, _ := api.NodeToken(secret, "w")
	conf, _ := json.Marshal(map[string]any{"node_id": node, "domain": "w", "controller": url, "node_token": nodeTok,
		"home": home, "values": map[string]string{"queue": "work"}, "heartbeat_period": "1s", "healthcheck_period": "1s"})
	confPath := filepath.Join(t.TempDir(), "agent.json")
	if err := os.WriteFile(confPath, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	run := epuRunner(map[string]string{"EPU_AGENT_HOME": home})

	code, _, stderr := run(ctx, "node", "config", "node_id")
	if code != 1 || !strings.Contains(stderr, "no agent is running") || !strings.Contains(stderr, "epu agent --config FILE") {
		t.Fatalf("a verb without an agent: exit %d, %s", code, stderr)
	}
	// A script's mistake is named before the agent is looked for.
	code, _, stderr = run(ctx, "node", "log", "hi", "--level", "loud")
	if code != 2 || !strings.Contains(stderr, `--level "loud"`) {
		t.Fatalf("log with an unknown level and no agent: exit %d, %s; want the usage error (2)", code, stderr)
	}
	actx, stopAgent := context.WithCancel(ctx)
	agentDone := make(chan int, 1)
	go func() { code, _, _ := run(actx, "agent", "--config", confPath); agentDone <- code }()
	defer func() {
		stopAgent()
		if code := <-agentDone; code != 0 {
			t.Errorf("epu agent exited %d after SIGTERM's equivalent", code)
		}
	}()
	waitUntil(t, "the agent's heartbeat", func() bool {
		ws, err := admin.WholeState(ctx, "w")
		return err == nil && ws.Instances[node].HeartbeatTime > 0
	})

	for _, tc := range []struct {
		args     []string
		code     int
		out, err string
	}{
		{[]string{"node", "config", "node_id"}, 0, node + "\n", ""},
		{[]string{"node", "config", "queue", "--json"}, 0, "{\n  \"queue\": \"work\"\n}\n", ""},
		{[]string{"node", "config", "node_token"}, 1, "", "no key \"node_token\""},
		{[]string{"node", "log", "disk", "full", "--level", "fatal"}, 2, "", "want info, warn or error"},
		{[]string{"node", "log", "disk", "full", "--level", "error"}, 0, "\"priority\": \"high\"", ""},
		{[]string{"node", "keepalive", "soon"}, 2, "", "not a positive duration"},
		{[]string{"node", "keepalive", "2h"}, 0, "keepalive: until", ""},
		{[]string{"node", "shutdown"}, 1, "\"granted\": false", "shutdown refused: demand holds"},
		{[]string{"node", "autoscale"}, 2, "", "give one of --instancecount N"},
		{[]string{"node", "autoscale", "--instancecount", "3"}, 0, "\"target\": 3", ""},
		{[]string{"node", "autoscale", "--name", "gpu", "--instancecount", "1"}, 1, "", "arrays[0].Name"},
	} {
		code, out, errs := run(ctx, tc.args...)
		if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errs, tc.err) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d, %q, %q", tc.args, code, out, errs, tc.code, tc.out, tc.err)
		}
	}
	waitUntil(t, "the autoscaled launches", func() bool { return prov.count() == 3 })
	ws, err := admin.WholeState(ctx, "w")
	if err != nil {
		t.Fatal(err)
	}
	if m := ws.Instances[node].Messages; len(m) != 1 || m[0].Message != "disk full" {
		t.Errorf("whole_state messages of the node: %+v", m)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

package agent

import (
	"context"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/epu/controller"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// provisionerStub records what a controller asks of its provisioner.
type provisionerStub struct {
	mu         sync.Mutex
	provisions []epu.ProvisionRequest
	terminated []string
}

func (p *provisionerStub) Provision(_ context.Context, req epu.ProvisionRequest) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.provisions = append(p.provisions, req)
	return nil
}

func (p *provisionerStub) TerminateNodes(_ context.Context, ids []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.terminated = append(p.terminated, ids...)
	return nil
}

func (p *provisionerStub) DumpState(context.Context, epu.DumpStateRequest) error { return nil }

func (p *provisionerStub) nodes() ([]string, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ids []string
	for _, r := range p.provisions {
		ids = append(ids, r.NodeIDs...)
	}
	return ids, slices.Clone(p.terminated)
}

const secret = "run-secret-for-tests"

// runController serves a real controller (npreserving, N = 1, health
// monitored) on 127.0.0.1:0 and returns its URL, an admin client and the
// provisioner stub.
func runController(t *testing.T) (string, *controller.Client, *provisionerStub) {
	t.Helper()
	cfg := controller.Config{Service: "epu-test", RunSecret: secret, StateDir: t.TempDir(), Listen: "127.0.0.1:0",
		Provisioner:  controller.Peer{Service: "provisioner", URL: "http://127.0.0.1:1"},
		DecidePeriod: controller.Duration(50 * time.Millisecond), MinDecidePeriod: controller.Duration(10 * time.Millisecond),
		MaxDecidePeriod: controller.Duration(50 * time.Millisecond),
		Domains: []controller.DomainConf{{Name: "d", DeployableType: "worker", Engine: "npreserving",
			EngineConf: engine.Conf{"preserve_n": 1.0}, MaxSize: 3, MonitorHealth: true}}}
	prov := &provisionerStub{}
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
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("controller: %v", err)
		}
		c.Close()
	})
	url := api.URL(ln.Addr().String())
	admin, _ := api.ServiceToken(secret, "epu-test")
	return url, controller.NewClient(url, admin), prov
}

// With a real controller: the agent's heartbeats make the node OK; its
// health check exiting 254 makes the controller replace it.
func TestAgentWithController(t *testing.T) {
	url, admin, prov := runController(t)
	ctx := context.Background()
	waitFor(t, "the first launch", func() bool { ids, _ := prov.nodes(); return len(ids) == 1 })
	ids, _ := prov.nodes()
	node := ids[0]
	if _, err := admin.InstanceState(ctx, epu.Node{NodeID: node, State: epu.Running, IaaSID: "i-1"}); err != nil {
		t.Fatal(err)
	}
	tok, _ := api.NodeToken(secret, "d")
	cfg := testConfig(t, url)
	cfg.NodeID, cfg.NodeToken = node, tok
	ta := start(t, cfg)
	waitFor(t, "health OK", func() bool {
		ws, err := admin.WholeState(ctx, "d")
		return err == nil && ws.Instances[node].HeartbeatState == epu.HealthOK
	})
	script(t, ta.home, "disk", "exit 254")
	ta.clock.advance(t, 10*time.Minute)
	waitFor(t, "the node replaced", func() bool {
		ids, term := prov.nodes()
		return slices.Contains(term, node) && len(ids) == 2
	})
	ws, err := admin.WholeState(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	if in := ws.Instances[node]; in.HeartbeatState != epu.HealthProcessError || len(in.Errors) == 0 {
		t.Errorf("whole_state of the unhealthy node: %+v", in)
	}
}

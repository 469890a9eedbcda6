package controller_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/epu/controller"
	"github.com/cloudinitd/cloudinitd/epu/engine"
	"github.com/cloudinitd/cloudinitd/epu/provisioner"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
)

const secret = "integration-secret"

var run = iaas.RunID{Name: "epurun", Incarnation: "c0ffee"}

// serve runs f (a daemon's Run) on a loopback listener until the test
// (or stop) ends it; it returns the URL and stop.
func serve(t *testing.T, f func(context.Context, net.Listener) error) (string, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f(ctx, ln) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	t.Cleanup(stop)
	return api.URL(ln.Addr().String()), stop
}

// The controller and the real provisioner (fake driver, dry-run
// contextualization) over HTTP: npreserving keeps 3 workers, a
// reconfigure to 1 terminates two, and a restarted controller keeps 1 —
// each checked against the driver's instances of the run.
func TestWithProvisioner(t *testing.T) {
	dir := t.TempDir()
	cloudDir := filepath.Join(dir, "cloud")
	pcfg := provisioner.Config{Service: "provisioner", RunID: run.String(), RunSecret: secret,
		StateDir: filepath.Join(dir, "prov"), Listen: "127.0.0.1:0", IaaSStateDir: cloudDir,
		QueryPeriod: provisioner.Duration(100 * time.Millisecond),
		DeployableTypes: map[string]provisioner.DeployableType{"sleeper": {IaaS: "fake", Image: "img", Allocation: "small",
			Options: map[string]string{fake.KeyRunningDelay: "0", fake.KeyTerminateDelay: "0"}}}}
	reg := iaas.NewRegistry()
	reg.Register(fake.Entry())
	p, err := provisioner.New(pcfg, provisioner.Deps{Registry: reg, Contextualizer: provisioner.DryRunContextualizer{}})
	if err != nil {
		t.Fatal(err)
	}
	purl, _ := serve(t, p.Run)

	ccfg := controller.Config{Service: "epu-sleeper", RunSecret: secret, StateDir: filepath.Join(dir, "ctl"), Listen: "127.0.0.1:0",
		Provisioner:  controller.Peer{Service: "provisioner", URL: purl},
		DecidePeriod: controller.Duration(50 * time.Millisecond), MinDecidePeriod: controller.Duration(10 * time.Millisecond),
		MaxDecidePeriod: controller.Duration(50 * time.Millisecond),
		Domains: []controller.DomainConf{{Name: "sleeper", DeployableType: "sleeper", Engine: "npreserving",
			EngineConf: engine.Conf{"preserve_n": 3.0}, MaxSize: 5}}}
	start := func() (*controller.Client, func()) {
		c, err := controller.New(ccfg, controller.Deps{Engines: engine.Builtin()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		url, stop := serve(t, c.Run)
		tok, _ := api.ServiceToken(secret, "epu-sleeper")
		return controller.NewClient(url, tok), stop
	}
	cl, stop := start()

	driver, err := fake.New(fake.Options{Dir: filepath.Join(cloudDir, fake.Name)})
	if err != nil {
		t.Fatal(err)
	}
	live := func() int {
		all, err := driver.FindByRun(context.Background(), run)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, in := range all {
			if !in.State.Final() {
				n++
			}
		}
		return n
	}
	running := func() int {
		ws, err := cl.WholeState(context.Background(), "sleeper")
		if err != nil {
			return -1
		}
		n := 0
		for _, in := range ws.Instances {
			if in.IaaSState == epu.Running {
				n++
			}
		}
		return n
	}
	waitFor(t, "3 workers RUNNING in the controller and live in the cloud", func() bool { return running() == 3 && live() == 3 })
	if _, err := cl.Reconfigure(context.Background(), "sleeper", engine.Conf{"preserve_n": 1.0}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "1 worker after reconfigure", func() bool { return running() == 1 && live() == 1 })

	stop()
	cl, stop = start()
	stable := func() bool {
		a, err := cl.DEState(context.Background(), "sleeper")
		return err == nil && a.DEState == epu.DEStable
	}
	waitFor(t, "the restarted controller's stable verdict", stable)
	if n := live(); n != 1 {
		t.Fatalf("live instances after the controller's restart: %d; want 1 (the reconfigured N)", n)
	}

	// The controller's host replaced: its state directory is gone. It
	// adopts the worker it had instead of launching a new pool (N is 3
	// again, the initial configuration: the reconfiguration was lost
	// with the store, so 2 are launched beside the adopted one).
	stop()
	if err := os.RemoveAll(ccfg.StateDir); err != nil {
		t.Fatal(err)
	}
	cl, _ = start()
	waitFor(t, "3 workers after a start with no state", func() bool { return running() == 3 && live() == 3 })
	waitFor(t, "stable after a start with no state", stable)
	if n := live(); n != 3 {
		t.Fatalf("live instances after a start with no state: %d; want 3 (the adopted one and 2 new)", n)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

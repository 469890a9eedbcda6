package workerctx

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/epu/provisioner"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/local"
)

// TestProvisionerContextualizes: a provisioner on the local driver (real
// instances, each an SSH server) contextualizes its workers through the
// pipeline: a worker whose ready program passes is 600-RUNNING, one whose
// ready program fails is 650-RUNNING_FAILED with the failed step in its
// state_desc; the host key each instance announced was checked and the
// programs ran on the instances (checked in their work directories).
func TestProvisionerContextualizes(t *testing.T) {
	dir, stateDir, iaasDir := t.TempDir(), t.TempDir(), t.TempDir()
	writeFiles(t, dir, workerFiles)
	var log syncBuffer
	ctxz, err := New(Config{Dir: dir, Run: iaas.RunID{Name: "pool", Incarnation: "0badcafe"}, StepTimeout: time.Minute,
		Logger: slog.New(slog.NewJSONHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	dt := workerType(dir)
	dt.Image = "local"
	dt.BootConf = filepath.Join(dir, dt.BootConf) // as LoadConfig makes it; the programs stay relative to Config.Dir
	secret := strings.Repeat("ab", 32)
	cfg := provisioner.Config{Service: "provisioner", RunID: "pool.0badcafe", RunSecret: secret,
		StateDir: stateDir, Listen: "127.0.0.1:0", IaaSStateDir: iaasDir,
		DeployableTypes: map[string]provisioner.DeployableType{"sleeper": dt},
		QueryPeriod:     provisioner.Duration(100 * time.Millisecond)}
	reg := iaas.NewRegistry()
	reg.Register(local.Entry())
	p, err := provisioner.New(cfg, provisioner.Deps{Registry: reg, Contextualizer: ctxz,
		Logger: slog.New(slog.NewJSONHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx, ln) }()
	defer func() {
		stop()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("provisioner Run: %v", err)
		}
	}()
	tok, err := api.ServiceToken(secret, "provisioner")
	if err != nil {
		t.Fatal(err)
	}
	c := provisioner.NewClient(api.URL(ln.Addr().String()), tok, nil)
	for _, l := range []struct{ launch, node, mode string }{{"l-ok", "n-ok", "ok"}, {"l-bad", "n-bad", "bad"}} {
		if _, err := c.Provision(ctx, epu.ProvisionRequest{LaunchID: l.launch, DeployableType: "sleeper",
			NodeIDs: []string{l.node}, Vars: map[string]string{"mode": l.mode}}); err != nil {
			t.Fatalf("provision %s: %v", l.launch, err)
		}
	}
	nodes := waitNodes(ctx, t, c, func(ns map[string]epu.Node) bool {
		settled := func(id string) bool { n, ok := ns[id]; return ok && !n.State.Before(epu.Running) }
		return settled("n-ok") && settled("n-bad")
	}, &log)
	if got := nodes["n-ok"]; got.State != epu.Running {
		t.Errorf("n-ok is %s (%s), want %s", got.State, got.StateDesc, epu.Running)
	}
	bad := nodes["n-bad"]
	if bad.State != epu.RunningFailed || !strings.HasPrefix(bad.StateDesc, provisioner.ReasonCtxError+": readypgm: ") ||
		!strings.Contains(bad.StateDesc, "exit status 3") {
		t.Errorf("n-bad is %s (%q), want %s with the ready program's failure", bad.State, bad.StateDesc, epu.RunningFailed)
	}
	if strings.Contains(log.String(), "tOk-5ecret-77") {
		t.Error("the provisioner's log holds the deployable type's secret")
	}
	// The programs ran on the instances: the driver's work directory of
	// each instance holds the worker's stage directory.
	d, err := local.Factory(iaas.Config{StateDir: iaasDir})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"n-ok": "ready 8080 ok\n", "n-bad": "ready 8080 bad\n"} {
		is, err := d.Describe(ctx, iaas.Ref{ID: nodes[id].IaaSID})
		if err != nil || len(is) != 1 || is[0].State != iaas.StateRunning {
			t.Fatalf("instance of %s: %v %v", id, is, err)
		}
		said, err := os.ReadFile(filepath.Join(is[0].WorkDir, id, "said"))
		if err != nil || !strings.HasSuffix(string(said), want) || !strings.HasPrefix(string(said), nodes[id].LaunchID+" hello-"+id+" provision ") {
			t.Errorf("%s's programs said %q, %v", id, said, err)
		}
		if err := os.WriteFile(filepath.Join(is[0].WorkDir, id, "worker.log"), []byte("log of "+id+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A worker's logs, through the API (GET /v1/nodes/{id}/logs), fetched
	// by the provisioner over SSH from the instance.
	tb, err := c.WorkerLogs(ctx, "n-ok")
	if err != nil {
		t.Fatalf("worker logs of n-ok: %v", err)
	}
	if got := tarFiles(t, tb); got["worker.log"] != "log of n-ok\n" || got["bootconf.json"] != "" {
		t.Errorf("worker logs of n-ok: %v, want worker.log and no bootconf.json", got)
	}
	if _, err := c.WorkerLogs(ctx, "n-nope"); !api.IsStatus(err, http.StatusNotFound) || !strings.Contains(err.Error(), `"n-nope"`) {
		t.Errorf("worker logs of an unknown node: %v, want a 404 naming it", err)
	}
	for {
		res, err := c.TerminateAll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Done {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("terminate_all never done")
		case <-time.After(100 * time.Millisecond):
		}
	}
	if _, err := c.WorkerLogs(ctx, "n-ok"); !api.IsStatus(err, http.StatusConflict) {
		t.Errorf("worker logs of a terminated node: %v, want a 409", err)
	}
	for id, n := range nodes {
		is, err := d.Describe(ctx, iaas.Ref{ID: n.IaaSID})
		if err != nil || len(is) != 1 || !is[0].State.Final() {
			t.Errorf("instance of %s after terminate_all: %v %v", id, is, err)
		}
	}
}

// waitNodes polls describe_nodes until done holds (or ctx ends).
func waitNodes(ctx context.Context, t *testing.T, c *provisioner.Client, done func(map[string]epu.Node) bool, log *syncBuffer) map[string]epu.Node {
	t.Helper()
	for {
		ns, err := c.DescribeNodes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		by := map[string]epu.Node{}
		for _, n := range ns {
			by[n.NodeID] = n
		}
		if done(by) {
			return by
		}
		select {
		case <-ctx.Done():
			t.Fatalf("nodes %v never settled\n%s", by, log.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

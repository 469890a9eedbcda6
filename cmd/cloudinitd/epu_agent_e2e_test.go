package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/epu/controller"
	"github.com/cloudinitd/cloudinitd/epu/provisioner"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/drivers"
)

// The worker of the end-to-end test: its boot program starts the agent
// (the 'cloudinitd' of testscript.Main is on every local instance's PATH)
// with the bootconf as its configuration, and a health check that exits
// 254 once the file "sick" exists in the agent's home; its ready program
// waits for the agent; its terminate program runs the run_on_shutdown
// hooks.
const (
	workerBootconf = `{"node_id": "${node_id}", "domain": "${domain}", "controller": "${heartbeat_dest}",
 "node_token": "${node_token}", "values": {"launch_id": "${launch_id}"},
 "heartbeat_period": "500ms", "healthcheck_period": "500ms", "healthcheck_timeout": "5s", "call_timeout": "5s"}`
	workerBoot = `#!/bin/sh
set -eu
export EPU_AGENT_HOME="$PWD/agent-home"
mkdir -p "$EPU_AGENT_HOME/healthcheck.d"
printf '#!/bin/sh\n[ -e "$EPU_AGENT_HOME/sick" ] && exit 254\nexit 0\n' >"$EPU_AGENT_HOME/healthcheck.d/sick"
chmod 700 "$EPU_AGENT_HOME/healthcheck.d/sick"
setsid nohup cloudinitd epu agent --config "$PWD/bootconf.json" >/dev/null 2>&1 </dev/null &
echo $! >"$PWD/agent.pid"
`
	workerReady = `#!/bin/sh
for i in $(seq 100); do
	cloudinitd epu node --home "$PWD/agent-home" config node_id >/dev/null 2>&1 && exit 0
	sleep 0.1
done
exit 1
`
	workerTerminate = `#!/bin/sh
exec cloudinitd epu node --home "$PWD/agent-home" run_shutdown_hooks --timeout 5s
`
)

// e2e is the elastic layer on the local driver: a real provisioner
// contextualizing local workers over SSH, a real controller, an agent on
// every worker.
type e2e struct {
	t      *testing.T
	dir    string
	prov   *provisioner.Client
	admin  *controller.Client
	driver iaas.Driver
	run    iaas.RunID
	purl   string   // the provisioner's URL
	stops  []func() // stop the daemons started besides the provisioner
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// startE2EDaemon runs a daemon of role on its configuration until the test
// ends; it returns its URL.
func startE2EDaemon(t *testing.T, ctx context.Context, role, confPath string, ln net.Listener, done chan<- error) string {
	t.Helper()
	dc, err := loadDaemonConfig(role, confPath)
	if err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(filepath.Dir(confPath), role+".log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	d, err := dc.build(slog.New(slog.NewJSONHandler(logf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- d.Run(ctx, ln) }()
	return api.URL(ln.Addr().String())
}

// e2eSecret is the run secret of the end-to-end tests' daemons.
const e2eSecret = "e2e-run-secret"

// startE2E starts the provisioner and a controller of domains, each on a
// listener of its own.
func startE2E(t *testing.T, domains []map[string]any) *e2e {
	t.Helper()
	e := startE2EProvisioner(t)
	ctx, cancel := context.WithCancel(context.Background())
	cln, _ := net.Listen("tcp", "127.0.0.1:0")
	cdone := make(chan error, 1)
	curl := startE2EDaemon(t, ctx, "controller", e.controllerConf(domains), cln, cdone)
	e.stops = append(e.stops, func() { cancel(); <-cdone })
	e.useController(curl)
	return e
}

// startE2EProvisioner writes the worker's programs and starts the
// provisioner; at the end of the test every worker goes (terminate_all
// until done), then the daemons stop (e.stops, then the provisioner), and
// whatever is left is terminated through the driver.
func startE2EProvisioner(t *testing.T) *e2e {
	t.Helper()
	dir := t.TempDir()
	e := &e2e{t: t, dir: dir, run: iaas.RunID{Name: "agente2e", Incarnation: "0000beef"}}
	for name, body := range map[string]string{"boot.sh": workerBoot, "ready.sh": workerReady, "terminate.sh": workerTerminate} {
		writeFile(t, filepath.Join(dir, name), body, 0o700)
	}
	writeFile(t, filepath.Join(dir, "agent.json"), workerBootconf, 0o600)
	iaasDir := filepath.Join(dir, "iaas")
	pconf, _ := json.Marshal(map[string]any{"service": "provisioner", "run_id": e.run.String(), "run_secret": e2eSecret,
		"state_dir": filepath.Join(dir, "prov"), "listen": "127.0.0.1:0", "iaas_state_dir": iaasDir, "query_period": "500ms",
		"shutdown_timeout": "20s",
		"deployable_types": map[string]any{"worker": map[string]any{"iaas": "local", "image": "local", "allocation": "small",
			"bootpgm": "boot.sh", "readypgm": "ready.sh", "terminatepgm": "terminate.sh", "bootconf": "agent.json"}}})
	writeFile(t, filepath.Join(dir, "provisioner.json"), string(pconf), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	pln, _ := net.Listen("tcp", "127.0.0.1:0")
	pdone := make(chan error, 1)
	e.purl = startE2EDaemon(t, ctx, "provisioner", filepath.Join(dir, "provisioner.json"), pln, pdone)
	ptok, _ := api.ServiceToken(e2eSecret, "provisioner")
	e.prov = provisioner.NewClient(e.purl, ptok, nil)
	drv, err := drivers.Open(drivers.Registry(), iaas.Selector{Value: "local"}, iaas.Config{StateDir: iaasDir})
	if err != nil {
		t.Fatal(err)
	}
	e.driver = drv
	t.Cleanup(func() {
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			if r, err := e.prov.TerminateAll(context.Background()); err == nil && r.Done {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		for _, stop := range e.stops {
			stop()
		}
		cancel()
		<-pdone
		for _, in := range e.live() {
			t.Errorf("instance %s left after terminate_all", in.ID)
			drv.Terminate(context.Background(), iaas.Ref{ID: in.ID, Handle: in.Handle})
		}
	})
	return e
}

// controllerConf writes the configuration of a controller of domains
// (service epu-e2e, listening on a free port of 127.0.0.1) and returns
// its path.
func (e *e2e) controllerConf(domains []map[string]any) string {
	cconf, _ := json.Marshal(map[string]any{"service": "epu-e2e", "run_secret": e2eSecret, "state_dir": filepath.Join(e.dir, "ctl"),
		"listen": "127.0.0.1:0", "provisioner": map[string]any{"service": "provisioner", "url": e.purl},
		"decide_period": "200ms", "min_decide_period": "100ms", "max_decide_period": "200ms", "retry_period": "500ms",
		"domains": domains})
	path := filepath.Join(e.dir, "controller.json")
	writeFile(e.t, path, string(cconf), 0o600)
	return path
}

// useController makes e.admin a client of the controller at url.
func (e *e2e) useController(url string) {
	ctok, _ := api.ServiceToken(e2eSecret, "epu-e2e")
	e.admin = controller.NewClient(url, ctok)
}

// live returns the run's instances the driver says are not terminated.
func (e *e2e) live() []iaas.Instance {
	rf, ok := iaas.As[iaas.RunFinder](e.driver)
	if !ok {
		e.t.Fatal("the local driver finds no run")
	}
	insts, err := rf.FindByRun(context.Background(), e.run)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []iaas.Instance
	for _, in := range insts {
		if in.State != iaas.StateTerminated {
			out = append(out, in)
		}
	}
	return out
}

// running returns the domain's RUNNING nodes whose agent said OK.
func (e *e2e) running(domain string) []string {
	ws, err := e.admin.WholeState(context.Background(), domain)
	if err != nil {
		return nil
	}
	var out []string
	for id, in := range ws.Instances {
		if in.IaaSState == epu.Running && in.HeartbeatState == epu.HealthOK {
			out = append(out, id)
		}
	}
	return out
}

// home finds the agent home of a node on its local instance.
func (e *e2e) home(node string) string {
	e.t.Helper()
	var found string
	filepath.WalkDir(filepath.Join(e.dir, "iaas"), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == "agent.json" && strings.HasSuffix(filepath.Dir(p), filepath.Join("agent-home", "run")) {
			if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), node) {
				found = filepath.Dir(filepath.Dir(p))
			}
		}
		return nil
	})
	if found == "" {
		e.t.Fatalf("no agent home of node %s", node)
	}
	return found
}

// node runs 'epu node VERB' with a node's agent home, as a script on that
// worker would.
func (e *e2e) node(ctx context.Context, node string, args ...string) (int, string, string) {
	return epuRunner(nil)(ctx, append([]string{"node", "--home", e.home(node)}, args...)...)
}

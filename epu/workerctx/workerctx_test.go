package workerctx

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/epu/provisioner"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/pipeline"
	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/remote/remotetest"
	"github.com/cloudinitd/cloudinitd/verify"
)

// memKeys is a provisioner.HostKeys in memory.
type memKeys struct {
	mu sync.Mutex
	m  map[string]string
}

func (k *memKeys) HostKey(_ context.Context, id string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.m[id], nil
}

func (k *memKeys) SetHostKey(_ context.Context, id, line string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[string]string{}
	}
	k.m[id] = line
	return nil
}

// syncBuffer is a log sink safe for concurrent writes.
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

// sshWorker is a worker instance whose host is the in-process SSH server,
// as a driver that announces an SSH endpoint gives it.
type sshWorker struct {
	inst iaas.Instance
	srv  *remotetest.Server
	work string
}

func newSSHWorker(t *testing.T) sshWorker {
	signer, keyPath := remotetest.NewKey(t)
	srv := remotetest.NewServer(t, signer.PublicKey())
	work := t.TempDir()
	return sshWorker{srv: srv, work: work, inst: iaas.Instance{ID: "i-0001", State: iaas.StateRunning,
		Hostname: srv.Host(), WorkDir: work,
		SSH: &iaas.SSHEndpoint{Host: srv.Host(), Port: srv.Port(), User: "worker", PrivateKeyPath: keyPath}}}
}

// writeFiles writes name -> content into dir (mode 0755: programs).
func writeFiles(t *testing.T, dir string, files map[string]string) {
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func newTestContextualizer(t *testing.T, dir string, log *syncBuffer) (*Contextualizer, *memKeys) {
	fast := verify.Backoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond, Attempts: 3}
	c, err := New(Config{Run: iaas.RunID{Name: "pool", Incarnation: "0badcafe"}, Dir: dir, Exe: "/opt/cid/cloudinitd",
		SSH:      remote.SSHOptions{Getenv: func(string) string { return "" }, Grace: time.Second},
		PortWait: func(bool) verify.Backoff { return fast }, SSHWait: &fast, StepTimeout: 30 * time.Second,
		Logger: slog.New(slog.NewJSONHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	keys := &memKeys{}
	return c.PinHostKeys(keys).(*Contextualizer), keys
}

// workerType is a deployable type whose programs (workerFiles, paths
// relative to the configuration's directory) report what they got: the
// bootconf filled from deps (${.run_id}, ${.node_id}, a secret) and the
// request's vars, the boot program's arguments and
// environment; the ready program reads the port the boot program gave in
// bootout.json and fails unless the request's var mode is "ok".
func workerType(string) provisioner.DeployableType {
	return provisioner.DeployableType{
		IaaS: "local", BootConf: "conf.json", BootPgm: "boot.sh", BootPgmArgs: "${.launch_id} ${.greeting}",
		ReadyPgm: "ready.sh", ReadyPgmArgs: "${.port} ${.mode}",
		Deps: map[string]string{"rid": "${.run_id}", "greeting": "hello-${.node_id}", "api_token": "tOk-5ecret-77"},
	}
}

var workerFiles = map[string]string{
	"conf.json": `{"rid": "${rid}", "node": "${greeting}", "api_token": "${api_token}"}`,
	"boot.sh": "#!/bin/sh\nset -e\n. ./bootenv.sh\n" +
		"echo \"$1 $2 $CLOUDINITD_COMMAND $CLOUDINITD_EXE $rid\" > said\necho \"token is $api_token\"\n" +
		"echo '{\"port\": 8080}' > bootout.json\n",
	"term.sh":  "#!/bin/sh\n. ./bootenv.sh\necho \"shutdown $CLOUDINITD_COMMAND $rid\" >> said\n",
	"ready.sh": "#!/bin/sh\necho \"ready $1 $2\" >> said\ntest \"$2\" = ok || { echo \"mode $2\" >&2; exit 3; }\n",
}

// TestContextualize: a worker is contextualized with the service
// pipeline: its attributes reach bootconf and arguments, bootout.json
// reaches the ready program, its host key is pinned by node id, secrets
// are masked in the log; a failing ready program fails naming the step.
func TestContextualize(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, workerFiles)
	var log syncBuffer
	c, keys := newTestContextualizer(t, dir, &log)
	w := newSSHWorker(t)
	node := epu.Node{NodeID: "n-1", LaunchID: "l-1", DeployableType: "sleeper",
		Vars: map[string]string{"mode": "ok"}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Contextualize(ctx, node, w.inst, workerType(dir)); err != nil {
		t.Fatalf("contextualize: %v\n%s", err, log.String())
	}
	stage := filepath.Join(w.work, "n-1")
	said, _ := os.ReadFile(filepath.Join(stage, "said"))
	want := "l-1 hello-n-1 provision /opt/cid/cloudinitd pool.0badcafe\nready 8080 ok\n"
	if diff := cmp.Diff(want, string(said)); diff != "" {
		t.Errorf("what the programs got (-want +got):\n%s", diff)
	}
	conf, err := os.ReadFile(filepath.Join(stage, "bootconf.json"))
	if err != nil || !strings.Contains(string(conf), `"api_token": "tOk-5ecret-77"`) {
		t.Errorf("bootconf.json %q, %v: want the token", conf, err)
	}
	if fi, err := os.Stat(filepath.Join(stage, "bootconf.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("bootconf.json mode: %v %v", fi, err)
	}
	if line, _ := keys.HostKey(ctx, "n-1"); !strings.HasPrefix(line, "ssh-") {
		t.Errorf("pinned host key of n-1: %q", line)
	}
	if out := log.String(); strings.Contains(out, "tOk-5ecret-77") || !strings.Contains(out, "token is ****") {
		t.Errorf("log: want the token masked:\n%s", out)
	}

	// The shutdown program runs in the worker's stage directory.
	dt := workerType(dir)
	dt.TerminatePgm = "term.sh"
	if err := c.RunShutdown(ctx, node, w.inst, dt); err != nil {
		t.Fatalf("run shutdown: %v", err)
	}
	said, _ = os.ReadFile(filepath.Join(stage, "said"))
	if !strings.HasSuffix(string(said), "shutdown terminate pool.0badcafe\n") {
		t.Errorf("the shutdown program said %q", said)
	}

	// Run again (a restart): the pinned key is checked; a host that
	// presents another key is refused at connect.
	if err := c.Contextualize(ctx, node, w.inst, workerType(dir)); err != nil {
		t.Fatalf("contextualize again: %v", err)
	}
	other, _ := remotetest.NewKey(t)
	line, _ := keys.HostKey(ctx, "n-1")
	f := strings.Fields(line)
	forged := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(other.PublicKey()))) + " " + f[len(f)-1]
	keys.SetHostKey(ctx, "n-1", forged)
	err = c.Contextualize(ctx, node, w.inst, workerType(dir))
	if step, _ := pipeline.StepOf(err); step != pipeline.StepConnect || !errors.Is(err, remote.ErrHostKeyMismatch) {
		t.Errorf("with another pinned key: %v; want a host key mismatch at connect", err)
	}

	// A failing ready program names its step; the token stays masked.
	node.NodeID, node.Vars = "n-2", map[string]string{"mode": "bad"}
	err = c.Contextualize(ctx, node, w.inst, workerType(dir))
	if step, _ := pipeline.StepOf(err); step != pipeline.StepReadyPgm || !strings.HasPrefix(err.Error(), "readypgm: ") ||
		!strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("failing ready program: %v; want readypgm: ... exit status 3", err)
	}
}

// TestContextualizeUnpinned: a Contextualizer not given to the
// provisioner refuses to run (no store for host keys).
func TestContextualizeUnpinned(t *testing.T) {
	c, err := New(Config{Exe: "/x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Contextualize(context.Background(), epu.Node{NodeID: "n"}, iaas.Instance{}, provisioner.DeployableType{}); !errors.Is(err, ErrNoHostKeys) {
		t.Errorf("unpinned: %v, want ErrNoHostKeys", err)
	}
}

// TestContextualizeNoPrograms: a deployable type without programs is
// ready once its instance runs: nothing is contacted (the instance has no
// SSH server at all); with ssh_check "true" in its options the worker's
// SSH is checked, and an instance without one fails at connect.
func TestContextualizeNoPrograms(t *testing.T) {
	var log syncBuffer
	c, _ := newTestContextualizer(t, t.TempDir(), &log)
	inst := iaas.Instance{ID: "i-9", State: iaas.StateRunning, Hostname: "127.0.0.1",
		SSH: &iaas.SSHEndpoint{Host: "127.0.0.1", Port: 1, User: "nobody"}}
	ctx := context.Background()
	if err := c.Contextualize(ctx, epu.Node{NodeID: "n-1"}, inst, provisioner.DeployableType{IaaS: "fake"}); err != nil {
		t.Errorf("no programs: %v, want ready at once", err)
	}
	dt := provisioner.DeployableType{IaaS: "fake", Options: map[string]string{"ssh_check": "true"}}
	err := c.Contextualize(ctx, epu.Node{NodeID: "n-1"}, inst, dt)
	if step, _ := pipeline.StepOf(err); step != pipeline.StepConnect {
		t.Errorf("ssh_check true without a server: %v, want a failure at connect", err)
	}
}

// TestNodeToken: a worker whose vars name its domain has that domain's
// node token in its bag (for its agent's bootconf), masked as a secret; a
// worker of no domain has none.
func TestNodeToken(t *testing.T) {
	const secret = "s3cr3t-of-the-run"
	c, err := New(Config{Exe: "/x", RunSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	want, err := api.NodeToken(secret, "sleepers")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string // "" for no node_token
	}{
		{"domain", map[string]string{"domain": "sleepers"}, want},
		{"no domain", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := newWorker(c, epu.Node{NodeID: "n-1", Vars: tc.vars}, iaas.Instance{}, provisioner.DeployableType{})
			if err != nil {
				t.Fatal(err)
			}
			bag, err := attrs{w}.Bag()
			if err != nil {
				t.Fatal(err)
			}
			if got := bag["node_token"]; got != tc.want {
				t.Errorf("node_token = %q, want %q", got, tc.want)
			}
			if tc.want != "" && w.secrets.mask("tok "+tc.want) != "tok ****" {
				t.Error("the node token is not masked")
			}
		})
	}
}

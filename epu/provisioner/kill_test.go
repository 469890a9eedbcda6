package provisioner

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
)

// killLaunches are what the kill test provisions: 4 launches of 5 nodes.
var killLaunches = func() map[string][]string {
	m := map[string][]string{}
	for l := range 4 {
		for n := range 5 {
			id := fmt.Sprintf("k%d", l)
			m[id] = append(m[id], fmt.Sprintf("k%d-n%d", l, n))
		}
	}
	return m
}()

// TestKillDuringProvision SIGKILLs a provisioner process (this test binary
// re-executed, see TestMain) while it provisions 20 workers on the fake
// driver (20 ms per launch call, 4 in flight), at moments spread in time
// and at the moments the fake cloud has saved the n-th instance (the
// provisioner has not recorded its id yet: the narrowest window), as
// cmd/cloudinitd's TestKillDuringBoot chooses them. After each kill the
// cloud never has more live instances of the run than the records hold
// nodes, each one a recorded node's (by client token). Restarted on the
// same state and cloud, and asked again for the same launches (as a
// controller would), every node becomes RUNNING with exactly one instance
// (the driver's FindByRun: one per client token, terminated ones
// included).
func TestKillDuringProvision(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: kills 14 provisioner processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var cases []killCase
	for i, ms := range []int{0, 10, 25, 40, 60, 80, 100, 130, 170, 250} {
		cases = append(cases, killCase{name: fmt.Sprintf("at%03dms", ms), at: time.Duration(ms) * time.Millisecond, seq: i})
	}
	for i, n := range []int{1, 4, 8, 12, 16, 20} {
		cases = append(cases, killCase{name: fmt.Sprintf("saved%02d", n), instances: n, seq: 100 + i})
	}
	for _, k := range cases {
		k.exe = exe
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			k.check(t)
		})
	}
}

type killCase struct {
	name      string
	exe       string
	seq       int
	at        time.Duration // after the child's API is up (when provisioning starts), or
	instances int           // once the cloud has this many instances of the run
}

// killRun is each case's run: its own incarnation.
func (k killCase) run() iaas.RunID {
	return iaas.RunID{Name: "killrun", Incarnation: fmt.Sprintf("%04x", k.seq)}
}

func (k killCase) check(t *testing.T) {
	dir := t.TempDir()
	cfgPath := k.writeConfig(t, dir)
	stateDir := filepath.Join(dir, "state")

	child := k.startChild(t, cfgPath, stateDir, filepath.Join(dir, "first.log"))
	fire := k.trigger(t, dir, stateDir, child.done)
	go k.provisionAll(stateDir, child.done) // errors expected once killed
	select {
	case <-fire.c:
	case <-child.done:
		t.Fatalf("the provisioner ended before it was killed: %v\n%s", child.err, readFile(dir, "first.log"))
	case <-time.After(30 * time.Second):
		t.Fatalf("the moment %s did not come within 30 s\n%s", k.moment(), readFile(dir, "first.log"))
	}
	child.kill(t)
	fire.stop()

	recorded := k.recordedTokens(t, stateDir)
	live := k.cloudInstances(t, dir, true)
	t.Logf("killed %s: %d nodes recorded, %d live instances", k.moment(), len(recorded), len(live))
	if len(live) > len(recorded) {
		t.Errorf("after the kill %s the cloud has %d live instances, the records %d nodes", k.moment(), len(live), len(recorded))
	}
	for _, in := range live {
		if !recorded[in.ClientToken] {
			t.Errorf("after the kill %s: instance %s (token %s) belongs to no recorded node", k.moment(), in.ID, in.ClientToken)
		}
	}

	child = k.startChild(t, cfgPath, stateDir, filepath.Join(dir, "second.log"))
	defer child.terminate(t)
	c := k.client(t, stateDir)
	if err := k.provisionAll(stateDir, child.done); err != nil {
		t.Fatalf("provision after the restart: %v", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	var nodes []epu.Node
	for {
		ns, err := c.DescribeNodes(context.Background())
		if err == nil && len(ns) == 20 && allRunning(ns) {
			nodes = ns
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("killed %s, restarted: not every node RUNNING after 60 s: %v %v\n%s", k.moment(), states(ns), err, readFile(dir, "second.log"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	all := k.cloudInstances(t, dir, false)
	perToken := map[string][]string{}
	for _, in := range all {
		perToken[in.ClientToken] = append(perToken[in.ClientToken], in.ID)
	}
	if len(all) != 20 {
		t.Errorf("killed %s: the cloud made %d instances of the run, want 20", k.moment(), len(all))
	}
	for _, n := range nodes {
		ids := perToken[n.ClientToken]
		if len(ids) != 1 || ids[0] != n.IaaSID {
			t.Errorf("killed %s: node %s (instance %s) has instances %v in the cloud, want exactly its own", k.moment(), n.NodeID, n.IaaSID, ids)
		}
	}
}

func (k killCase) moment() string {
	if k.instances > 0 {
		return fmt.Sprintf("at %d instance(s) saved", k.instances)
	}
	return fmt.Sprintf("at %v", k.at)
}

// writeConfig writes the child's configuration: real periods, short.
func (k killCase) writeConfig(t *testing.T, dir string) string {
	cfg := map[string]any{
		"service": "provisioner", "run_id": k.run().String(), "run_secret": testSecret,
		"state_dir": filepath.Join(dir, "state"), "listen": "127.0.0.1:0", "iaas_state_dir": dir,
		"query_period": "100ms", "launch_concurrency": 4,
		"deployable_types": map[string]any{"sleeper": map[string]any{"iaas": "fake", "options": map[string]string{
			fake.KeyLaunchDelay: "20ms", fake.KeyRunningDelay: "200ms", fake.KeyTerminateDelay: "0"}}},
	}
	b, _ := json.Marshal(cfg)
	path := filepath.Join(dir, "provisioner.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// provisionAll asks for the 4 launches (idempotent).
func (k killCase) provisionAll(stateDir string, done <-chan struct{}) error {
	c, err := waitClient(stateDir, done)
	if err != nil {
		return err
	}
	for _, l := range sortedKeys(killLaunches) {
		if _, err := c.Provision(context.Background(), epu.ProvisionRequest{LaunchID: l, DeployableType: "sleeper", NodeIDs: killLaunches[l]}); err != nil {
			return err
		}
	}
	return nil
}

// recordedTokens reads the killed provisioner's records: the client
// token of every node.
func (k killCase) recordedTokens(t *testing.T, stateDir string) map[string]bool {
	out := map[string]bool{}
	if _, err := os.Stat(filepath.Join(stateDir, DBFile)); err != nil {
		return out
	}
	s, err := OpenStore(context.Background(), stateDir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	nodes, err := s.Nodes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		out[n.ClientToken] = true
	}
	return out
}

// cloudInstances returns the run's instances in the fake cloud (a fresh
// driver: a process of its own), only the live ones when live.
func (k killCase) cloudInstances(t *testing.T, cloudDir string, live bool) []iaas.Instance {
	d, err := fake.New(fake.Options{Dir: filepath.Join(cloudDir, fake.Name)})
	if err != nil {
		t.Fatal(err)
	}
	all, err := d.FindByRun(context.Background(), k.run())
	if err != nil {
		t.Fatal(err)
	}
	var out []iaas.Instance
	for _, in := range all {
		if k.run().Claims(in, nil) && (!live || !in.State.Final()) {
			out = append(out, in)
		}
	}
	return out
}

func allRunning(ns []epu.Node) bool {
	for _, n := range ns {
		if n.State != epu.Running {
			return false
		}
	}
	return true
}

func states(ns []epu.Node) map[epu.State]int {
	m := map[epu.State]int{}
	for _, n := range ns {
		m[n.State]++
	}
	return m
}

func readFile(dir, name string) string {
	b, _ := os.ReadFile(filepath.Join(dir, name))
	return string(b)
}

func sortedKeys[V any](m map[string]V) []string { return slicesSorted(m) }

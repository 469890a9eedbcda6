package mgmt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/controller"
)

// TestKillable: started, running and unknown-state workers may be killed,
// pending and terminating ones not, in node id order.
func TestKillable(t *testing.T) {
	insts := map[string]controller.InstanceState{
		"e": {IaaSState: epu.Running}, "d": {IaaSState: epu.Pending}, "c": {IaaSState: epu.Started},
		"b": {IaaSState: epu.Terminating}, "a": {IaaSState: ""}, "f": {IaaSState: epu.RunningFailed},
		"g": {IaaSState: epu.Terminated},
	}
	if diff := cmp.Diff([]string{"a", "c", "e", "f"}, killable(insts)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// twoDomains answers like a controller "pool" with domains d1 and d2 and a
// controller "epu-solo" with domain only; whole-state of d1 has workers n1-n3.
func twoDomains(calls *[]string, mu *sync.Mutex) func(Service, []string) (any, error) {
	return func(svc Service, args []string) (any, error) {
		mu.Lock()
		*calls = append(*calls, svc.Name+" "+strings.Join(args, " "))
		mu.Unlock()
		switch svc.Name + " " + args[0] {
		case "pool domains":
			return []controller.DomainSummary{{Name: "d1"}, {Name: "d2"}}, nil
		case "epu-solo domains":
			return []controller.DomainSummary{{Name: "only"}}, nil
		case "pool whole-state":
			ws := controller.WholeState{Instances: map[string]controller.InstanceState{}}
			for i := 1; i <= 3; i++ {
				ws.Instances[fmt.Sprintf("n%d", i)] = controller.InstanceState{IaaSID: fmt.Sprintf("i-%d", i), IaaSState: epu.Running}
			}
			ws.Instances["n0"] = controller.InstanceState{IaaSState: epu.Pending}
			return ws, nil
		case "provisioner terminate-nodes":
			var ns []epu.Node
			for _, id := range args[1:] {
				ns = append(ns, epu.Node{NodeID: id, IaaSID: "i-" + strings.TrimPrefix(id, "n"), State: epu.Terminating})
			}
			return map[string]any{"nodes": ns}, nil
		case "provisioner nodes":
			return map[string]any{"nodes": []epu.Node{{NodeID: "n1", IaaSID: "i-1", State: epu.Running},
				{NodeID: "n2", IaaSID: "i-2", State: epu.Running}, {NodeID: "n3", IaaSID: "i-3", State: epu.Running}}}, nil
		case "provisioner worker-logs":
			return logTar("worker.log", "log of "+args[1]), nil
		case "pool reconfigure", "epu-solo reconfigure":
			return controller.DEStateAnswer{DEState: epu.DEStable}, nil
		}
		return nil, fmt.Errorf("unexpected %s %q", svc.Name, args)
	}
}

func twoControllers(t *testing.T, dir string) {
	fixture(t, dir, "r1", []svcFixture{
		{name: "provisioner", host: "h", level: 1, bootout: map[string]string{"epu_state_dir": "/s/p"}},
		{name: "pool", host: "h", level: 2, bootout: map[string]string{"epu_role": "controller", "epu_state_dir": "/s/c"}},
		{name: "epu-solo", host: "h", level: 2, bootout: map[string]string{"epu_state_dir": "/s/s"}},
	})
}

// TestFetchKill: the first k killable workers of the domain are
// terminated by node id through the provisioner, after its logs and
// theirs were fetched; a fetch_killed event is recorded for each.
func TestFetchKill(t *testing.T) {
	dir := t.TempDir()
	twoControllers(t, dir)
	var calls []string
	var mu sync.Mutex
	ch := &fakeChannel{answer: twoDomains(&calls, &mu)}
	m, _, _ := testManager(t, dir, ch, nil)
	m.Now = func() time.Time { return time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC) }
	ctx := context.Background()
	if err := m.Do(ctx, Options{Action: ActionFetchKill, Run: "r1", Controller: "pool/d1", KillNum: 2}); err != nil {
		t.Fatal(err)
	}
	if !containsCall(calls, "provisioner terminate-nodes n1 n2") || !containsCall(calls, "provisioner worker-logs n1") ||
		containsCall(calls, "provisioner worker-logs n3") {
		t.Errorf("calls %q", calls)
	}
	if b, err := os.ReadFile(filepath.Join(m.RunLogDir, "r1", "i-2", "worker.log")); err != nil || string(b) != "log of n2" {
		t.Errorf("the logs of the killed worker n2: %q, %v", b, err)
	}
	if diff := cmp.Diff([]string{"provisioner"}, ch.fetches); diff != "" {
		t.Errorf("logs fetched (-want +got):\n%s", diff)
	}
	evs, _ := readLogs(filepath.Join(m.RunLogDir, "r1"))
	var got []string
	for _, e := range evs {
		got = append(got, e.Event+" "+e.NodeID+" "+e.IaaSID)
	}
	if diff := cmp.Diff([]string{"fetch_killed n1 i-1", "fetch_killed n2 i-2"}, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	// More than there are: all of them, warned.
	calls = nil
	if err := m.Do(ctx, Options{Action: ActionFetchKill, Run: "r1", Controller: "pool/d1", KillNum: 9}); err != nil {
		t.Fatal(err)
	}
	if !containsCall(calls, "provisioner terminate-nodes n1 n2 n3") {
		t.Errorf("calls %q", calls)
	}
}

// TestResolveDomain: SERVICE/DOMAIN, SERVICE with one domain, a domain
// name alone; ambiguous and unknown names are errors naming the choices.
func TestResolveDomain(t *testing.T) {
	dir := t.TempDir()
	twoControllers(t, dir)
	var calls []string
	var mu sync.Mutex
	ch := &fakeChannel{answer: twoDomains(&calls, &mu)}
	m, _, _ := testManager(t, dir, ch, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		newn string
		call string
		err  string
	}{
		{"pool/d2:4", "pool reconfigure d2 preserve_n=4", ""},
		{"epu-solo:0", "epu-solo reconfigure only preserve_n=0", ""},
		{"only:5", "epu-solo reconfigure only preserve_n=5", ""},
		{"pool:3", "", `"pool" names several domains: pool/d1, pool/d2`},
		{"nosuch:1", "", "no such controller: the controllers are pool, epu-solo"},
	} {
		t.Run(tc.newn, func(t *testing.T) {
			calls = nil
			nn, err := ParseNewN(tc.newn)
			if err != nil {
				t.Fatal(err)
			}
			err = m.Do(ctx, Options{Action: ActionReconfigureN, Run: "r1", NewN: nn})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.call != "" && !containsCall(calls, tc.call) {
				t.Errorf("calls %q, want %q", calls, tc.call)
			}
		})
	}
}

func containsCall(calls []string, c string) bool {
	for _, x := range calls {
		if x == c {
			return true
		}
	}
	return false
}

// TestReadLogs: JSON event lines of several files, one line fetched twice
// counted once, non-JSON lines skipped; warnings about a node kept, the
// last three.
func TestReadLogs(t *testing.T) {
	dir := t.TempDir()
	a := `{"time":"2026-12-06T04:00:01Z","level":"INFO","msg":"new_node","event":"new_node","node_id":"n1","iaas_id":"i-1"}
not json
{"time":"2026-12-06T04:00:02Z","level":"INFO","msg":"node_started","event":"node_started","node_id":"n1","iaas_id":"i-1","public_ip":"127.0.0.21"}
{"time":"2026-12-06T04:00:03Z","level":"WARN","msg":"contextualize","node_id":"n1","error":"ssh: refused"}
`
	b := `{"time":"2026-12-06T04:00:02Z","level":"INFO","msg":"node_started","event":"node_started","node_id":"n1","iaas_id":"i-1","public_ip":"127.0.0.21"}
{"time":"2026-12-06T04:00:00Z","level":"INFO","msg":"new_node","event":"new_node","node_id":"n2","iaas_id":"i-2"}
{"time":"2026-12-06T04:00:05Z","level":"INFO","msg":"instance state","event":"instance_state","node_id":"n3","state":"400-PENDING"}
`
	for name, s := range map[string]string{"x/provisioner.log": a, "y/provisioner.log": b, "y/ignored.txt": a} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	evs, msgs := readLogs(dir)
	var got []string
	for _, e := range evs {
		got = append(got, e.Event+" "+e.NodeID)
	}
	want := []string{"new_node n2", "new_node n1", "node_started n1", "instance_state n3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string][]string{"n1": {"2026-12-06T04:00:03Z WARN contextualize: ssh: refused"}}, msgs); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	ws := workersFromEvents(evs)
	if diff := cmp.Diff([]FoundWorker{
		{NodeID: "n1", IaaSID: "i-1", Hostname: "127.0.0.21", LastEvent: "node_started", Time: time.Date(2026, 12, 6, 4, 0, 2, 0, time.UTC)},
		{NodeID: "n2", IaaSID: "i-2", LastEvent: "new_node", Time: time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)},
	}, ws); diff != "" {
		t.Errorf("workers (-want +got):\n%s", diff)
	}
}

// countingChannel fetches slowly and counts the fetches at once.
type countingChannel struct {
	fakeChannel
	mu       sync.Mutex
	now, max int
	fail     string
}

func (c *countingChannel) FetchLogs(ctx context.Context, svc Service, dir string) (int, error) {
	c.mu.Lock()
	c.now++
	c.max = max(c.max, c.now)
	c.mu.Unlock()
	time.Sleep(20 * time.Millisecond)
	c.mu.Lock()
	c.now--
	c.mu.Unlock()
	if svc.Name == c.fail {
		return 0, errors.New("sftp: permission denied")
	}
	return c.fakeChannel.FetchLogs(ctx, svc, dir)
}

// TestLogFetch: at most 20 hosts at once, a failure counted and the rest
// fetched, terminated services skipped, each into <runlogdir>/<run>/<instance>/.
func TestLogFetch(t *testing.T) {
	dir := t.TempDir()
	var svcs []svcFixture
	for i := 0; i < 30; i++ {
		svcs = append(svcs, svcFixture{name: fmt.Sprintf("epu-%02d", i), host: "h", level: 1,
			bootout: map[string]string{"epu_state_dir": "/s"}})
	}
	fixture(t, dir, "r1", svcs)
	ch := &countingChannel{fail: "epu-07"}
	m, _, errb := testManager(t, dir, ch, nil)
	ctx := context.Background()
	s, err := m.open(ctx, "r1", false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	s.sys.Services[3].State = "terminated"
	res, err := m.fetchLogs(ctx, s, s.sys.Services)
	if err != nil {
		t.Fatal(err)
	}
	if res.Hosts != 28 || len(res.Errors) != 1 || len(res.Skipped) != 1 {
		t.Errorf("hosts %d, errors %v, skipped %v", res.Hosts, res.Errors, res.Skipped)
	}
	if ch.max > maxFetches || ch.max < 2 {
		t.Errorf("%d fetches at once, want 2..%d", ch.max, maxFetches)
	}
	if _, err := os.Stat(filepath.Join(m.RunLogDir, "r1", "P-epu-00", "epu-00.log")); err != nil {
		t.Error(err)
	}
	if !strings.Contains(errb.String(), "with 1 error(s)") || !strings.Contains(errb.String(), "permission denied") {
		t.Errorf("stderr:\n%s", errb)
	}
}

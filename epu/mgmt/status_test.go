package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/controller"
	"github.com/cloudinitd/cloudinitd/epu/provisioner"
)

// pool answers like a provisioner with nodes and a controller with one
// domain whose instances are those nodes.
func pool(nodes []epu.Node, now time.Time) func(Service, []string) (any, error) {
	return func(svc Service, args []string) (any, error) {
		switch svc.Name + " " + strings.Join(args, " ") {
		case "provisioner health":
			return provisioner.Health{Status: "OK", Service: "provisioner", Clouds: []provisioner.Cloud{{IaaS: "fake", StateDir: "/s"}}}, nil
		case "provisioner nodes":
			return map[string]any{"nodes": nodes}, nil
		case "pool domains":
			return []controller.DomainSummary{{Name: "sleeper", Engine: "npreserving", DeployableType: "sleeper", DEState: epu.DEStable}}, nil
		case "pool whole-state sleeper":
			conf := "preserve_n=3"
			ws := controller.WholeState{DEState: epu.DEStable, DEConfReport: &conf, Instances: map[string]controller.InstanceState{}}
			for _, n := range nodes {
				ws.Instances[n.NodeID] = controller.InstanceState{IaaSID: n.IaaSID, PublicIP: n.PublicIP, IaaSState: n.State,
					IaaSStateTime: now.Add(-time.Minute).Unix(), HeartbeatTime: -1, HeartbeatState: epu.HealthUnknown}
			}
			return ws, nil
		}
		return nil, fmt.Errorf("unexpected call %s %q", svc.Name, args)
	}
}

func threeNodes() []epu.Node {
	var ns []epu.Node
	for i := 0; i < 3; i++ {
		ns = append(ns, epu.Node{NodeID: fmt.Sprintf("n%d", i), IaaSID: fmt.Sprintf("i-%d", i), State: epu.Running,
			PublicIP: "127.0.0.1"})
	}
	ns[2].StateDesc = "CTX_ERROR: slow"
	return ns
}

// TestStatus: the report names the base system, the provisioner's nodes
// and clouds, the domain's engine state and each worker; --json is one
// document that parses; --no-update makes no call and prints the kept
// report.
func TestStatus(t *testing.T) {
	dir := t.TempDir()
	epuFixture(t, dir, "r1")
	now := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	ch := &fakeChannel{answer: pool(threeNodes(), now)}
	m, out, _ := testManager(t, dir, ch, nil)
	m.Now = func() time.Time { return now }
	ctx := context.Background()
	if err := m.Do(ctx, Options{Action: ActionStatus, Run: "r1", JSON: true}); err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if len(rep.Controllers) != 1 || len(rep.Controllers[0].Domains) != 1 {
		t.Fatalf("controllers: %+v", rep.Controllers)
	}
	d := rep.Controllers[0].Domains[0]
	var states []string
	for _, w := range d.Workers {
		states = append(states, fmt.Sprintf("%s %s %s %s %d", w.NodeID, w.IaaSID, w.State, w.InState, len(w.Messages)))
	}
	want := []string{"n0 i-0 600-RUNNING 1m0s 0", "n1 i-1 600-RUNNING 1m0s 0", "n2 i-2 600-RUNNING 1m0s 1"}
	if diff := cmp.Diff(want, states); diff != "" {
		t.Errorf("workers (-want +got):\n%s", diff)
	}
	if d.DEState != epu.DEStable || d.DEConfReport == nil || *d.DEConfReport != "preserve_n=3" {
		t.Errorf("domain %+v", d)
	}
	if len(rep.Provisioners) != 1 || len(rep.Provisioners[0].Nodes) != 3 || len(rep.Provisioners[0].Clouds) != 1 {
		t.Errorf("provisioners %+v", rep.Provisioners)
	}
	if len(rep.Problems) != 0 || !rep.Updated || rep.RunID == "" {
		t.Errorf("report %+v", rep)
	}

	// The human report.
	out.Reset()
	if err := m.Do(ctx, Options{Action: ActionStatus, Run: "r1"}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Base system:", "web", "Provisioner provisioner: 3 nodes (600-RUNNING 3)",
		"domain sleeper (engine npreserving", "EPU state: STABLE_DE", "n2: CTX_ERROR: slow"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, out)
		}
	}

	// --no-update: no call, the kept report.
	n := len(ch.called())
	out.Reset()
	if err := m.Do(ctx, Options{Action: ActionStatus, Run: "r1", NoUpdate: true, JSON: true}); err != nil {
		t.Fatal(err)
	}
	if got := ch.called()[n:]; len(got) != 0 {
		t.Errorf("--no-update called %q", got)
	}
	var kept Report
	if err := json.Unmarshal(out.Bytes(), &kept); err != nil {
		t.Fatal(err)
	}
	if kept.Updated || len(kept.Controllers) != 1 || len(kept.Controllers[0].Domains[0].Workers) != 3 {
		t.Errorf("--no-update report %+v", kept)
	}
}

// TestStatusUnreachable: a daemon that cannot be asked is named with its
// host and error; the rest is still reported.
func TestStatusUnreachable(t *testing.T) {
	dir := t.TempDir()
	epuFixture(t, dir, "r1")
	ok := pool(threeNodes(), time.Now())
	ch := &fakeChannel{answer: func(svc Service, args []string) (any, error) {
		if svc.Name == "pool" {
			return nil, errRefused
		}
		return ok(svc, args)
	}}
	m, out, _ := testManager(t, dir, ch, nil)
	err := m.Do(context.Background(), Options{Action: ActionStatus, Run: "r1"})
	var ue *UnreachableError
	if !errors.As(err, &ue) || len(ue.Problems) != 1 || !strings.Contains(err.Error(), `service "pool" (host 127.0.0.1)`) {
		t.Fatalf("status = %v, want the unreachable controller named", err)
	}
	for _, s := range []string{"Controller pool: not reachable", `service "pool" (host 127.0.0.1): epu ctl domains: connection refused`,
		"Provisioner provisioner: 3 nodes"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, out)
		}
	}
}

// TestStatusNoPool: a run without a provisioner shows its base system and
// says there is no pool.
func TestStatusNoPool(t *testing.T) {
	dir := t.TempDir()
	fixture(t, dir, "r1", []svcFixture{{name: "web", host: "h", level: 1}})
	ch := &fakeChannel{answer: func(Service, []string) (any, error) { t.Error("a daemon was called"); return nil, nil }}
	m, out, _ := testManager(t, dir, ch, nil)
	if err := m.Do(context.Background(), Options{Action: ActionStatus, Run: "r1"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "No pool") || !strings.Contains(out.String(), "web") {
		t.Errorf("report:\n%s", out)
	}
}

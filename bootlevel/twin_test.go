package bootlevel

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/ec2/ec2test"
	"github.com/cloudinitd/cloudinitd/iaas/local"
	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/store"
)

// twinPlan is a two-level plan without programs on the cloud that
// defaults describes: services are ready once their instance runs.
func twinPlan(defaults string) map[string]string {
	return map[string]string{
		"top.conf": "[defaults]\n" + defaults + "ssh_check: false\n[runlevels]\nlevel1: l1.conf\nlevel2: l2.conf\n",
		"l1.conf":  "[svc-db]\n",
		"l2.conf":  "[svc-web]\n",
	}
}

// twinRecord records h's plan a second time under the same run name in
// another record directory (another -d, another person on the account)
// and returns an engine on it whose drivers come from drivers (a new
// process's), sharing h's cloud.
func twinRecord(t *testing.T, h *harness, drivers func(iaas.Selector) (iaas.Driver, error)) *Engine {
	t.Helper()
	p, err := plan.Load(context.Background(), filepath.Join(h.dir, "top.conf"), plan.Options{LookupEnv: h.lookup})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Create(context.Background(), t.TempDir(), testRun, store.Run{TopConf: p.TopFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := Record(context.Background(), db, p); err != nil {
		t.Fatal(err)
	}
	if db.Incarnation() == h.db.Incarnation() {
		t.Fatalf("two records share incarnation %s", db.Incarnation())
	}
	return &Engine{DB: db, Drivers: drivers, Connector: DryRunConnector{}, Observer: &recorder{}, LookupEnv: h.lookup,
		Waits: h.eng.Waits}
}

// testTwoRecords boots record A (h) and record B of the same run name on
// one cloud, then runs every command on B — each followed by Clean, as the
// CLI does — and checks after each, against the driver (a new process's),
// that A's instances still run; history on B lists them as another
// record's. newDrivers returns the drivers of a new process.
func testTwoRecords(t *testing.T, h *harness, newDrivers func() func(iaas.Selector) (iaas.Driver, error)) {
	ctx := testCtx(t)
	aDrivers := newDrivers()
	h.eng.Drivers = aDrivers
	if err := h.eng.Boot(ctx, BootOptions{Prelaunch: true}); err != nil {
		t.Fatalf("boot A: %v", err)
	}
	var mine []iaas.Ref
	for _, n := range []string{"db", "web"} {
		s := h.service(n)
		mine = append(mine, iaas.Ref{ID: s.InstanceID, Handle: s.Handle})
	}
	b := twinRecord(t, h, newDrivers())
	aliveA := func(after string) {
		t.Helper()
		d, err := aDrivers(iaas.Selector{}) // the EC2 driver knows A's credentials from A's plan
		if err != nil {
			t.Fatal(err)
		}
		is, err := d.Describe(ctx, mine...)
		if err != nil {
			t.Fatalf("after %s: describe A's instances: %v", after, err)
		}
		for _, in := range is {
			if in.State != iaas.StateRunning {
				t.Errorf("after B's %s: A's instance %s is %s, want running", after, in.ID, in.State)
			}
		}
	}
	clean := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("B's %s: %v", what, err)
		}
		if _, err := b.Clean(ctx); err != nil {
			t.Fatalf("clean after B's %s: %v", what, err)
		}
		aliveA(what)
	}
	clean("boot", b.Boot(ctx, BootOptions{Prelaunch: true}))
	clean("status", b.Status(ctx))
	hs, err := b.History(ctx, false)
	clean("history", err)
	other := map[string]string{}
	for _, e := range hs {
		if e.OtherRun != "" {
			other[e.InstanceID] = e.OtherRun
		}
	}
	for _, r := range mine {
		if want := testRun + "." + h.db.Incarnation(); other[r.ID] != want {
			t.Errorf("B's history: A's instance %s is listed as another record's %q, want %q (entries %+v)", r.ID, other[r.ID], want, hs)
		}
	}
	hs, err = b.History(ctx, true)
	clean("history -k", err)
	killed := 0
	for _, e := range hs {
		if e.Killed {
			killed++
		}
	}
	if killed != 2 {
		t.Errorf("B's history -k terminated %d instances, want its own 2: %+v", killed, hs)
	}
	clean("repair", b.Repair(ctx))
	clean("reboot", b.Reboot(ctx))
	clean("validate", b.Validate(ctx))
	clean("terminate", b.Terminate(ctx))
	// A's own commands still see their instances as theirs.
	eng := h.reopen()
	eng.Drivers = newDrivers()
	if err := eng.Status(ctx); err != nil {
		t.Fatalf("A's status: %v", err)
	}
	aliveA("A's status")
	if err := eng.Terminate(ctx); err != nil {
		t.Fatalf("A's terminate: %v", err)
	}
}

func TestTwoRecordsOneNameFake(t *testing.T) {
	h := newHarness(t, twinPlan("iaas: fake\nimage: img\n"))
	testTwoRecords(t, h, func() func(iaas.Selector) (iaas.Driver, error) {
		d := h.cloud.Clone()
		return func(iaas.Selector) (iaas.Driver, error) { return d, nil }
	})
}

func TestTwoRecordsOneNameLocal(t *testing.T) {
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skipf("local driver needs /proc: %v", err)
	}
	state := t.TempDir()
	h := newHarness(t, twinPlan("iaas: local\nimage: local\n"))
	testTwoRecords(t, h, func() func(iaas.Selector) (iaas.Driver, error) {
		d, err := local.New(local.Config{StateDir: state})
		return func(iaas.Selector) (iaas.Driver, error) { return d, err }
	})
	t.Cleanup(func() { terminateAllLocal(t, state) })
}

// terminateAllLocal stops every instance server left in a local state
// directory by a failing test.
func terminateAllLocal(t *testing.T, state string) {
	d, err := local.New(local.Config{StateDir: state})
	if err != nil {
		return
	}
	entries, _ := os.ReadDir(state)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "local-") {
			_ = d.Terminate(context.Background(), iaas.Ref{ID: e.Name()})
		}
	}
}

func TestTwoRecordsOneNameEC2(t *testing.T) {
	srv := newEC2(t, ec2test.Options{})
	h := newHarness(t, twinPlan(ec2Defaults(srv)), ec2Env)
	testTwoRecords(t, h, ec2Drivers)
}

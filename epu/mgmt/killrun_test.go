package mgmt

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/provisioner"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/store"
)

// provisionerOn answers like a provisioner whose workers are the run's
// owned instances on d: terminate-all terminates them on the first call
// (answering not done) and answers done once the driver has none alive.
func provisionerOn(t *testing.T, d iaas.Driver, run iaas.RunID) func(Service, []string) (any, error) {
	return func(svc Service, args []string) (any, error) {
		switch args[0] {
		case "health":
			return provisioner.Health{Status: "OK", Clouds: []provisioner.Cloud{{IaaS: "fake"}}}, nil
		case "nodes":
			return map[string]any{"nodes": []epu.Node{}}, nil
		case "terminate-all":
			left := alive(t, d, run)
			for _, id := range left {
				if err := d.Terminate(context.Background(), iaas.Ref{ID: id}); err != nil {
					return nil, err
				}
			}
			return epu.TerminateAllResult{Done: len(left) == 0, Remaining: len(left)}, nil
		}
		return nil, errors.New("unexpected call " + strings.Join(args, " "))
	}
}

func runStatus(t *testing.T, dir, run string) store.RunStatus {
	t.Helper()
	db, err := store.OpenReadOnly(context.Background(), dir, run)
	if err != nil {
		t.Fatalf("the record of %s: %v", run, err)
	}
	defer db.Close()
	r, err := db.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r.Status
}

// TestKillRun: logs, terminate_all polled until done, the run terminated
// with its record kept, nothing of the run left on the cloud; killall
// again sweeps and succeeds without asking any daemon.
func TestKillRun(t *testing.T) {
	dir := t.TempDir()
	id := epuFixture(t, dir, "r1")
	cloud := fakeCloud(t)
	launchWorkers(t, cloud, id, 3)
	ch := &fakeChannel{answer: provisionerOn(t, cloud, id)}
	m, _, errb := testManager(t, dir, ch, cloud)
	ctx := context.Background()
	if err := m.Do(ctx, Options{Action: ActionKillRun, Run: "r1"}); err != nil {
		t.Fatalf("killrun: %v\n%s", err, errb)
	}
	if left := alive(t, cloud, id); len(left) != 0 {
		t.Errorf("alive after killrun: %v", left)
	}
	if st := runStatus(t, dir, "r1"); st != store.RunTerminated {
		t.Errorf("run status %s, want terminated (record kept)", st)
	}
	polls := 0
	for _, c := range ch.called() {
		if c == "provisioner: terminate-all" {
			polls++
		}
	}
	if polls < 2 {
		t.Errorf("terminate-all called %d times, want polling until done: %q", polls, ch.called())
	}
	if len(ch.fetches) == 0 {
		t.Error("no log was fetched")
	}
	n := len(ch.called())
	if err := m.Do(ctx, Options{Action: ActionKillRun, Run: "r1"}); err != nil {
		t.Fatalf("killrun again: %v", err)
	}
	if got := ch.called()[n:]; len(got) != 0 {
		t.Errorf("killrun on a dead run called %q", got)
	}
}

// TestKillRunRefused: a provisioner that refuses leaves the run booted,
// the error names the workers still alive; --force terminates them
// through the driver, then the run, and nothing is left.
func TestKillRunRefused(t *testing.T) {
	dir := t.TempDir()
	id := epuFixture(t, dir, "r1")
	cloud := fakeCloud(t)
	ids := launchWorkers(t, cloud, id, 2)
	ok := provisionerOn(t, cloud, id)
	ch := &fakeChannel{answer: func(svc Service, args []string) (any, error) {
		if args[0] == "terminate-all" {
			return nil, errRefused
		}
		return ok(svc, args)
	}}
	m, _, _ := testManager(t, dir, ch, cloud)
	ctx := context.Background()
	err := m.Do(ctx, Options{Action: ActionKillRun, Run: "r1", NoFetch: true})
	var ke *KillError
	if !errors.As(err, &ke) || !errors.Is(err, ErrWorkersNotTerminated) {
		t.Fatalf("killrun = %v, want a KillError", err)
	}
	for _, id := range ids {
		if !strings.Contains(err.Error(), id) {
			t.Errorf("the error does not name %s:\n%v", id, err)
		}
	}
	if !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("the error does not say why: %v", err)
	}
	if st := runStatus(t, dir, "r1"); st != store.RunUp {
		t.Errorf("run status %s, want up (left booted)", st)
	}
	if left := alive(t, cloud, id); len(left) != 2 {
		t.Errorf("alive %v, want the 2 workers untouched", left)
	}
	if err := m.Do(ctx, Options{Action: ActionKillRun, Run: "r1", NoFetch: true, Force: true}); err != nil {
		t.Fatalf("killrun --force: %v", err)
	}
	if left := alive(t, cloud, id); len(left) != 0 {
		t.Errorf("alive after --force: %v", left)
	}
	if st := runStatus(t, dir, "r1"); st != store.RunTerminated {
		t.Errorf("run status %s, want terminated", st)
	}
}

// TestKillRunHangs: a provisioner that never finishes is given up after
// --timeout; the run is left booted.
func TestKillRunHangs(t *testing.T) {
	dir := t.TempDir()
	id := epuFixture(t, dir, "r1")
	cloud := fakeCloud(t)
	launchWorkers(t, cloud, id, 1)
	ok := provisionerOn(t, cloud, id)
	var calls atomic.Int32
	ch := &fakeChannel{answer: func(svc Service, args []string) (any, error) {
		if args[0] == "terminate-all" {
			calls.Add(1)
			return epu.TerminateAllResult{Remaining: 1}, nil
		}
		return ok(svc, args)
	}}
	m, _, _ := testManager(t, dir, ch, cloud)
	err := m.Do(context.Background(), Options{Action: ActionKillRun, Run: "r1", NoFetch: true, Timeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrWorkersNotTerminated) || !strings.Contains(err.Error(), "not done after 200ms: 1 node(s)") {
		t.Fatalf("killrun = %v", err)
	}
	if calls.Load() < 2 {
		t.Errorf("terminate-all polled %d times", calls.Load())
	}
	if st := runStatus(t, dir, "r1"); st != store.RunUp {
		t.Errorf("run status %s, want up", st)
	}
}

// TestKillRunSweep: a provisioner that says done while workers live (it
// lost them): the run is terminated, the sweep names each survivor and
// fails; killall --force on the dead run terminates them; again: 0.
func TestKillRunSweep(t *testing.T) {
	dir := t.TempDir()
	id := epuFixture(t, dir, "r1")
	cloud := fakeCloud(t)
	ids := launchWorkers(t, cloud, id, 2)
	ch := &fakeChannel{answer: func(svc Service, args []string) (any, error) {
		switch args[0] {
		case "terminate-all":
			return epu.TerminateAllResult{Done: true}, nil
		case "health":
			return provisioner.Health{Clouds: []provisioner.Cloud{{IaaS: "fake"}}}, nil
		}
		return map[string]any{}, nil
	}}
	m, _, _ := testManager(t, dir, ch, cloud)
	ctx := context.Background()
	err := m.Do(ctx, Options{Action: ActionKillRun, Run: "r1", NoFetch: true})
	var se *SurvivorsError
	if !errors.As(err, &se) || len(se.Survivors) != 2 {
		t.Fatalf("killrun = %v, want 2 survivors", err)
	}
	for _, id := range ids {
		if !strings.Contains(err.Error(), id) || !strings.Contains(err.Error(), "launched by provisioner") {
			t.Errorf("the error does not name %s as a worker:\n%v", id, err)
		}
	}
	if st := runStatus(t, dir, "r1"); st != store.RunTerminated {
		t.Errorf("run status %s, want terminated", st)
	}
	if err := m.Do(ctx, Options{Action: ActionKillRun, Run: "r1"}); !errors.As(err, &se) {
		t.Fatalf("killrun again without --force = %v, want the survivors", err)
	}
	if err := m.Do(ctx, Options{Action: ActionKillRun, Run: "r1", Force: true}); err != nil {
		t.Fatalf("killrun --force: %v", err)
	}
	if left := alive(t, cloud, id); len(left) != 0 {
		t.Errorf("alive after --force: %v", left)
	}
	if err := m.Do(ctx, Options{Action: ActionKillRun, Run: "r1"}); err != nil {
		t.Fatalf("killrun once more: %v", err)
	}
}

// TestKillRunNoProvisioner: warned, the run still terminated and swept.
func TestKillRunNoProvisioner(t *testing.T) {
	dir := t.TempDir()
	fixture(t, dir, "r1", []svcFixture{{name: "web", host: "h", level: 1}})
	ch := &fakeChannel{answer: func(Service, []string) (any, error) { t.Error("a daemon was called"); return nil, nil }}
	m, _, errb := testManager(t, dir, ch, fakeCloud(t))
	if err := m.Do(context.Background(), Options{Action: ActionKillRun, Run: "r1"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errb.String(), "has no provisioner") {
		t.Errorf("no warning:\n%s", errb)
	}
	if st := runStatus(t, dir, "r1"); st != store.RunTerminated {
		t.Errorf("run status %s", st)
	}
}

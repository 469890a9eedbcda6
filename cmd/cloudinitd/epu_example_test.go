package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/cmd/internal/scripttest"
	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/local"
)

// exampleRun drives the real command (this test binary as cloudinitd, see
// cliBinary) on examples/epu with records and local instances in db.
type exampleRun struct {
	t   *testing.T
	bin string
	db  string
}

// cid runs cloudinitd ARGS -d db and returns its exit code and outputs.
func (r exampleRun) cid(args ...string) (int, string, string) {
	r.t.Helper()
	return r.exec(append(args, "-d", r.db)...)
}

// exec runs cloudinitd ARGS.
func (r exampleRun) exec(args ...string) (int, string, string) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+r.db)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatalf("cloudinitd %q: %v", args, err)
	}
	return code, out.String(), errb.String()
}

// stateDir is the state directory of the example's daemon of service svc.
func (r exampleRun) stateDir(svc string) string {
	r.t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(r.db, ".epu", "epu.*", svc))
	if len(dirs) != 1 {
		r.t.Fatalf("state directories of %s: %q", svc, dirs)
	}
	return dirs[0]
}

// ctl runs 'epu ctl' on the daemon of service svc and decodes its answer.
func (r exampleRun) ctl(svc string, out any, args ...string) {
	r.t.Helper()
	code, stdout, stderr := r.exec(append([]string{"epu", "ctl", "--state-dir", r.stateDir(svc)}, args...)...)
	if code != 0 {
		r.t.Fatalf("epu ctl %q: exit %d: %s", args, code, stderr)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(stdout), out); err != nil {
			r.t.Fatalf("epu ctl %q: %v: %s", args, err, stdout)
		}
	}
}

// workers are the run's instances owned by the provisioner that the local
// driver itself says are running: the driver's word, not the daemons'.
func (r exampleRun) workers() []iaas.Instance {
	r.t.Helper()
	d, err := local.New(local.Config{StateDir: filepath.Join(r.db, local.Name)})
	if err != nil {
		r.t.Fatal(err)
	}
	all, err := d.FindByRun(context.Background(), iaas.RunID{Name: "epu"})
	if err != nil {
		r.t.Fatal(err)
	}
	var live []iaas.Instance
	for _, in := range all {
		if in.Owner == "provisioner" && in.State == iaas.StateRunning {
			live = append(live, in)
		}
	}
	return live
}

func ids(ins []iaas.Instance) []string {
	var out []string
	for _, in := range ins {
		out = append(out, in.ID)
	}
	slices.Sort(out)
	return out
}

// waitWorkers waits until exactly n workers run (the driver's word), none
// of them gone, and the provisioner's describe_nodes says the same
// instances are RUNNING.
func (r exampleRun) waitWorkers(n int, within time.Duration, what string, gone ...string) []string {
	r.t.Helper()
	deadline := time.Now().Add(within)
	for {
		live := ids(r.workers())
		var nodes struct{ Nodes []epu.Node }
		r.ctl("provisioner", &nodes, "nodes")
		var running []string
		for _, nd := range nodes.Nodes {
			if nd.State == epu.Running {
				running = append(running, nd.IaaSID)
			}
		}
		slices.Sort(running)
		if len(live) == n && slices.Equal(live, running) && !slices.ContainsFunc(live, func(id string) bool { return slices.Contains(gone, id) }) {
			return live
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%s: after %s the driver has %d workers running %q, the provisioner RUNNING %q; want %d",
				what, within, len(live), live, running, n)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestEpuExample boots examples/epu on the local driver with test-sized
// periods and checks, against the driver: 3 workers RUNNING, owned by the
// provisioner; status leaves them; a worker whose instance server is
// killed is replaced within 60 s; reconfigure preserve_n=5 gives 5; repair
// of the controller's service (its host killed) keeps the same pool and the
// reconfigured N; terminate leaves no instance, all terminated by the
// provisioner's terminatepgm (the owner sweep finds none). About a minute;
// skipped with -short.
func TestEpuExample(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a provisioner, a controller and up to 5 workers on the local driver (~1 min)")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	r := exampleRun{t: t, bin: cliBinary(t), db: t.TempDir()}
	t.Cleanup(func() {
		if t.Failed() {
			r.logTails()
		}
		scripttest.ReapLocal(r.db)
	})

	code, _, stderr := r.cid("boot", filepath.Join(repo, "examples/epu/top.conf"), "-n", "epu",
		"-g", "decide_period=1s", "-g", "query_period=1s", "-g", "disappear_after=5s")
	if code != 0 {
		t.Fatalf("boot: exit %d:\n%s", code, stderr)
	}
	first := r.waitWorkers(3, 10*time.Second, "after boot")

	if code, _, stderr := r.cid("status", "epu"); code != 0 {
		t.Fatalf("status: exit %d:\n%s", code, stderr)
	}
	if got := ids(r.workers()); !slices.Equal(got, first) {
		t.Fatalf("status changed the workers: %q, were %q", got, first)
	}

	// Kill one worker's instance server: the provisioner sees it fail and
	// the controller has it replaced.
	victim := first[0]
	r.killInstanceServer(victim)
	r.waitWorkers(3, 60*time.Second, "after killing "+victim, victim)

	var de map[string]any
	r.ctl("epu-sleeper", &de, "reconfigure", "sleeper", "preserve_n=5")
	five := r.waitWorkers(5, 60*time.Second, "after reconfigure preserve_n=5")

	// Repair of the controller's service: its host is killed, repair
	// starts a new one whose daemon reopens the same state directory.
	r.repairAfterHostKilled("epu-sleeper", "controller")
	var doms []struct {
		Name string
		Live int
	}
	r.ctl("epu-sleeper", &doms, "domains")
	if len(doms) != 1 || doms[0].Live != 5 {
		t.Fatalf("domains after repair: %+v", doms)
	}
	var ws struct {
		DEConfReport string `json:"de_conf_report"`
	}
	r.ctl("epu-sleeper", &ws, "whole-state", "sleeper")
	if !strings.Contains(ws.DEConfReport, "preserves 5 instances") {
		t.Errorf("the restarted controller forgot the reconfigured N: %s", ws.DEConfReport)
	}
	if got := r.waitWorkers(5, 30*time.Second, "after repairing the controller"); !slices.Equal(got, five) {
		t.Fatalf("repair changed the pool: %q, was %q", got, five)
	}

	// Repair of the provisioner's service: a new host, the same records;
	// the controller, configured with the old provisioner URL, is not
	// ready any more and is restarted too. The pool is the same, and a
	// worker killed now is still replaced.
	ctlHost := serviceInstance(t, r.db, "epu-sleeper")
	r.repairAfterHostKilled("provisioner", "provisioner")
	if serviceInstance(t, r.db, "epu-sleeper") == ctlHost {
		t.Errorf("repair left the controller configured with the old provisioner's URL")
	}
	if got := r.waitWorkers(5, 30*time.Second, "after repairing the provisioner"); !slices.Equal(got, five) {
		t.Fatalf("repairing the provisioner changed the pool: %q, was %q", got, five)
	}
	// Not within 60 s here: the provisioner still pushes each record to
	// the controller's URL before its restart, retrying until the push
	// gives up, before the new URL (from the controller's dump_state)
	// gets it; the replacement comes after those retries.
	r.killInstanceServer(five[0])
	r.waitWorkers(5, 3*time.Minute, "after killing "+five[0]+" behind the repaired provisioner", five[0])

	code, stdout, stderr := r.cid("terminate", "epu", "--keep-logs")
	if code != 0 {
		t.Fatalf("terminate: exit %d:\n%s", code, stderr)
	}
	if strings.Contains(stdout+stderr, "was still running after") {
		t.Errorf("the owner sweep found workers the provisioner left:\n%s", stderr)
	}
	if live := r.workers(); len(live) != 0 {
		t.Fatalf("workers left running after terminate: %q", ids(live))
	}
	d, err := local.New(local.Config{StateDir: filepath.Join(r.db, local.Name)})
	if err != nil {
		t.Fatal(err)
	}
	all, err := d.FindByRun(context.Background(), iaas.RunID{Name: "epu"})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range all {
		if in.State != iaas.StateTerminated {
			t.Errorf("instance %s (%s, owner %q) is %s after terminate", in.ID, in.Service, in.Owner, in.State)
		}
	}
	if dirs, _ := filepath.Glob(filepath.Join(r.db, ".epu", "epu.*")); len(dirs) != 0 {
		t.Errorf("the daemons' state directories are left after terminate: %q", dirs)
	}
}

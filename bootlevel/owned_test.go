package bootlevel

import (
	"os"
	"strings"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// TestOwnedInstances: a service's program learns run_id and iaas_state_dir
// from its arguments and launches workers for the run (owned by it).
// History lists them as owned; history -k, clean and status leave them;
// terminate, after the owner's terminatepgm ran, terminates the one still
// alive and warns naming the owner. A worker another record of the same
// name owns is never touched.
func TestOwnedInstances(t *testing.T) {
	h := newHarness(t, map[string]string{
		"top.conf": "[defaults]\niaas: fake\nimage: img\nlocal_exe: true\npgm_timeout: 30\n" +
			"[runlevels]\nlevel1: l1.conf\n",
		"l1.conf": "[svc-boss]\nbootpgm: boss.sh\nbootpgm_args: ${boss.run_id} ${boss.iaas_state_dir} ${boss.name}\n" +
			"terminatepgm: bye.sh\n",
		"boss.sh": "#!/bin/sh\necho \"$1 $2 $3\" > args.txt\n",
		"bye.sh":  "#!/bin/sh\nexit 0\n",
	})
	ctx := testCtx(t)
	h.eng.StateDir = "/var/lib/clouds"
	if err := h.eng.Boot(ctx, BootOptions{Prelaunch: true}); err != nil {
		t.Fatalf("boot: %v", err)
	}
	b, err := os.ReadFile(h.stage("boss", "args.txt"))
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Fields(string(b))
	if len(args) != 3 || args[0] != h.runID().String() || args[1] != h.eng.StateDir || args[2] != "boss" {
		t.Fatalf("boss got %q, want run id %s, state dir %s, boss", args, h.runID(), h.eng.StateDir)
	}
	// What the boss's program does with them (a provisioner on this
	// cloud): launch workers under the run's full id, owned by itself.
	id, err := iaas.ParseRunID(args[0])
	if err != nil {
		t.Fatal(err)
	}
	launch := func(run iaas.RunID, svc string) iaas.Instance {
		t.Helper()
		in, err := h.cloud.Launch(ctx, iaas.LaunchSpec{Run: run, Owner: args[2], Service: svc, Attempt: 1,
			ClientToken: iaas.ClientToken(run.String(), svc, 1), Image: "img"})
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	worker := launch(id, "worker-1")
	gone := launch(id, "worker-2") // the boss takes this one down itself
	foreign := launch(iaas.RunID{Name: id.Name, Incarnation: "0badcafe"}, "worker-1")
	if err := h.cloud.Terminate(ctx, iaas.Ref{ID: gone.ID}); err != nil {
		t.Fatal(err)
	}

	if err := h.eng.Status(ctx); err != nil {
		t.Fatalf("status: %v", err)
	}
	hs, err := h.eng.History(ctx, false)
	if err != nil {
		t.Fatalf("history: %v", err)
	}
	owners := map[string]string{}
	for _, e := range hs {
		owners[e.InstanceID] = e.Owner
	}
	if owners[worker.ID] != "boss" {
		t.Errorf("history: worker %s owner %q, want boss (%+v)", worker.ID, owners[worker.ID], hs)
	}
	if _, err := h.eng.Clean(ctx); err != nil {
		t.Fatalf("clean: %v", err)
	}
	if hs, err = h.eng.History(ctx, true); err != nil { // terminates the boss's own instance
		t.Fatalf("history -k: %v", err)
	}
	if err := h.eng.Repair(ctx); err != nil { // the boss on a new instance
		t.Fatalf("repair: %v", err)
	}
	if _, err := h.eng.Clean(ctx); err != nil {
		t.Fatalf("clean: %v", err)
	}
	for _, in := range []iaas.Instance{worker, foreign} {
		if st := h.instanceState(in.ID); st != iaas.StateRunning {
			t.Fatalf("%s (%s) is %s after status, history -k, repair and clean, want running", in.ID, in.Run, st)
		}
	}

	if err := h.eng.Terminate(ctx); err != nil {
		t.Fatalf("terminate: %v", err)
	}
	if st := h.instanceState(worker.ID); st != iaas.StateTerminated && st != iaas.StateTerminating {
		t.Errorf("boss's worker is %s after terminate", st)
	}
	if st := h.instanceState(foreign.ID); st != iaas.StateRunning {
		t.Errorf("another record's worker is %s after terminate, want running", st)
	}
	pgm, warned := -1, -1
	for i, e := range h.events.all() {
		switch {
		case e.Service == "boss" && e.Kind == KindStep && e.Step == StepTerminatePgm:
			pgm = i
		case e.Kind == KindWarning && strings.Contains(e.Detail, worker.ID):
			warned = i
			if e.Service != "boss" || !strings.Contains(e.Detail, "launched by service boss") {
				t.Errorf("warning %q of service %q does not name the owner boss", e.Detail, e.Service)
			}
		case e.Kind == KindWarning && (strings.Contains(e.Detail, gone.ID) || strings.Contains(e.Detail, foreign.ID)):
			t.Errorf("warning about an instance terminate had no business with: %s", e.Detail)
		}
	}
	if pgm < 0 || warned < pgm {
		t.Errorf("the sweep of %s (event %d) must come after boss's terminatepgm (event %d)", worker.ID, warned, pgm)
	}
}

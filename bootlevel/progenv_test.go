package bootlevel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// progEnvPlan is a plan whose programs report CLOUDINITD_COMMAND and
// CLOUDINITD_EXE (the boot program through bootout.json, every program in
// a file outside the stage directory, which terminate removes) and whose
// bootconf receives run_secret through a deps row.
func progEnvPlan() map[string]string {
	return map[string]string{
		"top.conf": "[defaults]\niaas: fake\nimage: img\nlocal_exe: true\npgm_timeout: 30\n[runlevels]\nlevel1: l1.conf\n",
		"l1.conf": "[svc-a]\ndeps: d.conf\nbootconf: conf.json\nbootpgm: boot.sh\nbootpgm_args: ${.out}\n" +
			"readypgm: ready.sh\nreadypgm_args: ${.out}\nterminatepgm: term.sh\nterminatepgm_args: ${.out}\n",
		"d.conf":    "[deps]\nout: env.OUTDIR\nrun_secret: ${.run_secret}\nrid: ${.run_id}\n",
		"conf.json": `{"secret": "${run_secret}", "rid": "${rid}"}`,
		"boot.sh": "#!/bin/sh\necho \"boot $CLOUDINITD_COMMAND\" >> \"$1/seen\"\n" +
			"printf '{\"command\": \"%s\", \"exe\": \"%s\"}\\n' \"$CLOUDINITD_COMMAND\" \"$CLOUDINITD_EXE\" > bootout.json\n" +
			". ./bootenv.sh\necho \"the secret is $secret\"\n",
		"ready.sh": "#!/bin/sh\necho \"ready $CLOUDINITD_COMMAND $CLOUDINITD_EXE\" >> \"$1/seen\"\n",
		"term.sh":  "#!/bin/sh\necho \"terminate $CLOUDINITD_COMMAND\" >> \"$1/seen\"\n",
	}
}

// TestProgramEnvironment: boot, status, repair, reboot and terminate give
// their programs CLOUDINITD_COMMAND (the command at work; reboot's
// terminate half says reboot) and CLOUDINITD_EXE (Engine.Exe).
func TestProgramEnvironment(t *testing.T) {
	out := t.TempDir()
	h := newHarness(t, progEnvPlan(), map[string]string{"OUTDIR": out})
	h.eng.Exe = "/opt/cid/bin/cloudinitd"
	ctx := testCtx(t)
	if err := h.eng.Boot(ctx, BootOptions{}); err != nil {
		t.Fatalf("boot: %v", err)
	}
	bag, err := h.db.Bags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range bag["a"] {
		got[a.Key] = a.Value
	}
	if got["command"] != "boot" || got["exe"] != "/opt/cid/bin/cloudinitd" {
		t.Errorf("bootout.json: command %q exe %q, want boot and Engine.Exe", got["command"], got["exe"])
	}
	for _, step := range []func() error{
		func() error { return h.eng.Status(ctx) },
		func() error { return h.eng.Repair(ctx) },
		func() error { return h.eng.Reboot(ctx) },
		func() error { return h.eng.Terminate(ctx) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	seen, err := os.ReadFile(filepath.Join(out, "seen"))
	if err != nil {
		t.Fatal(err)
	}
	want := "boot boot\nready boot /opt/cid/bin/cloudinitd\n" +
		"ready status /opt/cid/bin/cloudinitd\n" +
		"ready repair /opt/cid/bin/cloudinitd\n" +
		"terminate reboot\nboot reboot\nready reboot /opt/cid/bin/cloudinitd\n" +
		"terminate terminate\n"
	if diff := cmp.Diff(want, string(seen)); diff != "" {
		t.Errorf("what the programs saw (-want +got):\n%s", diff)
	}
}

// TestProgramEnvironmentDefaultExe: without Engine.Exe, CLOUDINITD_EXE is
// the running program (os.Executable).
func TestProgramEnvironmentDefaultExe(t *testing.T) {
	out := t.TempDir()
	h := newHarness(t, progEnvPlan(), map[string]string{"OUTDIR": out})
	if err := h.eng.Boot(testCtx(t), BootOptions{}); err != nil {
		t.Fatalf("boot: %v", err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	seen, _ := os.ReadFile(filepath.Join(out, "seen"))
	if !strings.Contains(string(seen), "ready boot "+exe+"\n") {
		t.Errorf("programs saw %q, want CLOUDINITD_EXE %s", seen, exe)
	}
}

// TestRunSecret: run_secret is the record's secret; a bootconf gets it
// through a deps row; it is masked in the service log, in events and in
// the journal, and the record keeps no copy of it but its own (the deps
// row holds the reference, not the value).
func TestRunSecret(t *testing.T) {
	out := t.TempDir()
	h := newHarness(t, progEnvPlan(), map[string]string{"OUTDIR": out})
	ctx := testCtx(t)
	secret := h.db.RunSecret()
	if len(secret) != 64 {
		t.Fatalf("run secret %q, want 64 hex digits", secret)
	}
	if err := h.eng.Boot(ctx, BootOptions{}); err != nil {
		t.Fatalf("boot: %v", err)
	}
	conf, err := os.ReadFile(h.stage("a", "bootconf.json"))
	if err != nil {
		t.Fatal(err)
	}
	wantConf := `{"secret": "` + secret + `", "rid": "` + testRun + "." + h.db.Incarnation() + `"}`
	if diff := cmp.Diff(wantConf, string(conf)); diff != "" {
		t.Errorf("bootconf.json (-want +got):\n%s", diff)
	}
	if v, err := h.run().resolver().Expand("${a.run_secret}", "a"); err != nil || v != secret {
		t.Errorf("${a.run_secret}: %v (the record's secret: %v)", err, v == secret)
	}
	log, err := os.ReadFile(h.eng.LogFile("a"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(log), secret) || !strings.Contains(string(log), "the secret is ****") {
		t.Errorf("service log: want the secret masked as ****:\n%s", log)
	}
	for _, e := range h.events.all() {
		if strings.Contains(e.Detail, secret) {
			t.Errorf("event %s %s holds the run secret", e.Kind, e.Step)
		}
	}
	journal, err := h.db.Events(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range journal {
		if strings.Contains(e.Detail, secret) {
			t.Errorf("journal event %s holds the run secret", e.Event)
		}
	}
	bag, err := h.db.Bags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range bag["a"] {
		if strings.Contains(a.Value, secret) {
			t.Errorf("bag row %s holds the run secret's value", a.Key)
		}
	}
}

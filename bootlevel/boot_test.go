package bootlevel

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/store"
	"github.com/google/go-cmp/cmp"
)

// threeLevels is a plan whose data flows level 1 bootout -> level 2 deps
// (and bootconf) -> level 3 args.
func threeLevels() map[string]string {
	return map[string]string{
		"top.conf": `[defaults]
iaas: fake
image: img
local_exe: true
pgm_timeout: 30
[runlevels]
level1: level1.conf
level2: level2.conf
level3: level3.conf
`,
		"level1.conf":   "[svc-one]\nbootpgm: one-boot.sh\nreadypgm: ok.sh\n",
		"one-boot.sh":   "#!/bin/sh\necho booting one\necho '{\"token\": \"tok-123\", \"n\": 7}' > bootout.json\n",
		"ok.sh":         "#!/bin/sh\nexit 0\n",
		"level2.conf":   "[svc-two]\nbootpgm: two-boot.sh\nbootconf: two-conf.json\ndeps1: two-deps.conf\nterminatepgm: two-term.sh\n",
		"two-deps.conf": "[deps]\nfrom_one: ${one.token}\nonehost: ${one.hostname}\n",
		"two-conf.json": `{"from_one": "$from_one", "host": "${onehost}"}`,
		"two-boot.sh":   "#!/bin/sh\n. ./bootenv.sh\necho \"{\\\"msg\\\": \\\"got-$from_one\\\"}\" > bootout.json\n",
		"two-term.sh":   "#!/bin/sh\necho bye\n",
		"level3.conf":   "[svc-three]\nbootpgm: three-boot.sh\nbootpgm_args: ${two.msg} \"a b\" ${one.n}\n",
		"three-boot.sh": "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done > args.txt\n",
	}
}

func TestBootThreeLevels(t *testing.T) {
	h := newHarness(t, threeLevels())
	if err := h.eng.Boot(testCtx(t), BootOptions{Prelaunch: true}); err != nil {
		t.Fatalf("boot: %v", err)
	}
	args, err := os.ReadFile(h.stage("three", "args.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("got-tok-123\na b\n7\n", string(args)); diff != "" {
		t.Errorf("level 3 args (-want +got):\n%s", diff)
	}
	conf, err := os.ReadFile(h.stage("two", "bootconf.json"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`{"from_one": "tok-123", "host": "localhost"}`, string(conf)); diff != "" {
		t.Errorf("bootconf.json (-want +got):\n%s", diff)
	}
	env, err := os.ReadFile(h.stage("two", "bootenv.sh"))
	if err != nil || !strings.Contains(string(env), `export from_one="tok-123"`) {
		t.Errorf("bootenv.sh = %q, %v", env, err)
	}
	for _, name := range []string{"one", "two", "three"} {
		s := h.service(name)
		if s.State != store.StateReady || s.InstanceID == "" || s.Hostname != "localhost" || s.Attempt != 1 {
			t.Errorf("%s: state %s instance %q hostname %q attempt %d", name, s.State, s.InstanceID, s.Hostname, s.Attempt)
		}
	}
	want := []string{"launching", "launched", "running", "booting", "contextualized", "ready"}
	if diff := cmp.Diff(want, h.events.states("two")); diff != "" {
		t.Errorf("state events of two (-want +got):\n%s", diff)
	}
	// Level events in order, every level done.
	var levels []string
	for _, e := range h.events.all() {
		if e.Service == "" && e.Level != 0 {
			levels = append(levels, e.Kind+" "+itoa(e.Level))
		}
	}
	wantLevels := []string{"level-start 1", "level-done 1", "level-start 2", "level-done 2", "level-start 3", "level-done 3"}
	if diff := cmp.Diff(wantLevels, levels); diff != "" {
		t.Errorf("level events (-want +got):\n%s", diff)
	}
	// The journal holds the state transitions too.
	journal, err := h.db.Events(testCtx(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range journal {
		if e.Service == "one" && e.Event == "state" {
			got = append(got, string(e.State))
		}
	}
	if len(got) < 4 || got[len(got)-1] != "ready" {
		t.Errorf("journal states of one = %v", got)
	}
	// Output reached the log file.
	log, err := os.ReadFile(h.eng.LogFile("one"))
	if err != nil || !strings.Contains(string(log), "booting one") {
		t.Errorf("log of one = %q, %v", log, err)
	}
	if fi, err := os.Stat(h.eng.LogFile("one")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("log mode: %v %v", fi, err)
	}
}

func TestBootFailingLevelStopsLater(t *testing.T) {
	files := threeLevels()
	files["level2.conf"] = "[svc-two]\nbootpgm: fail.sh\n[svc-mate]\nbootpgm: slow.sh\n"
	files["fail.sh"] = "#!/bin/sh\necho line one\necho 'the tail line' >&2\nexit 3\n"
	files["slow.sh"] = "#!/bin/sh\nsleep 0.3\necho done > done.txt\n"
	h := newHarness(t, files)
	err := h.eng.Boot(testCtx(t), BootOptions{})
	if err == nil {
		t.Fatal("boot succeeded")
	}
	var se *ServiceError
	if !errors.As(err, &se) || se.Service != "two" || se.Step != StepBootPgm || se.Level != 2 {
		t.Fatalf("error %v: ServiceError %+v", err, se)
	}
	var ee *remote.ExitError
	if !errors.As(err, &ee) || ee.Status != 3 {
		t.Fatalf("no ExitError with status 3 in %v", err)
	}
	if !strings.Contains(strings.Join(se.Tail(), "\n"), "the tail line") {
		t.Errorf("tail = %q", se.Tail())
	}
	if !strings.HasPrefix(err.Error(), `level 2: service "two": bootpgm: `) || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("error text = %q", err)
	}
	if se.LogFile == "" {
		t.Error("no log file in the error")
	}
	// The level-mate finished.
	if _, err := os.Stat(h.stage("mate", "done.txt")); err != nil {
		t.Errorf("level-mate did not finish: %v", err)
	}
	if s := h.service("mate"); s.State != store.StateReady {
		t.Errorf("mate state %s", s.State)
	}
	if s := h.service("two"); s.State != store.StateFailed || !strings.Contains(s.LastError, "exit status 3") {
		t.Errorf("two: state %s last_error %q", s.State, s.LastError)
	}
	// Level 3 never started: no instance, no program.
	if s := h.service("three"); s.State != store.StateNew || s.InstanceID != "" {
		t.Errorf("three: state %s instance %q", s.State, s.InstanceID)
	}
}

package bootlevel

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/store"
)

// sleepers is shaped like ooici/launch-plans' sandbox/sleepers: replicas
// whose deps file says name: ${.name}, used again in a later row, in
// bootpgm_args and in the bootconf; the boot program's bootout.json holds
// a ${} value that reads the deps rows before it.
func sleepers() map[string]string {
	return map[string]string{
		"top.conf": `[defaults]
iaas: fake
image: img
local_exe: true
pgm_timeout: 30
[runlevels]
level1: level1.conf
level2: level2.conf
`,
		"level1.conf": "[svc-sleeper]\nreplica_count: 3\ndeps1: common.conf\ndeps2: sleeper.conf\n" +
			"bootconf: sleeper.json\nbootpgm: boot.sh\nbootpgm_args: ${.name} ${.queue}\n",
		"common.conf":  "[deps]\nscope: sandbox\nname: ${.name}\n",
		"sleeper.conf": "[deps]\nqueue: ${.scope}-${.name}\n",
		"sleeper.json": `{"name": "$name"}`,
		"boot.sh": "#!/bin/sh\n. ./bootenv.sh\necho \"$name $*\" > args.txt\n" +
			"echo '{\"url\": \"amqp://${.queue}\"}' > bootout.json\n",
		"level2.conf": "[svc-epum]\nbootpgm: epum.sh\n" +
			"bootpgm_args: ${sleeper-0.url} ${sleeper-1.name} ${sleeper-2.queue}\n",
		"epum.sh": "#!/bin/sh\necho \"$*\" > args.txt\n",
	}
}

// TestBootOwnNames: every replica boots with its own name, and the record's
// bag (deps rows, then the bootout row) is expanded in order at run time as
// the plan was checked at load.
func TestBootOwnNames(t *testing.T) {
	h := newHarness(t, sleepers())
	ctx := testCtx(t)
	if err := h.eng.Boot(ctx, BootOptions{Prelaunch: true}); err != nil {
		t.Fatalf("boot: %v", err)
	}
	r, err := LoadResolver(ctx, h.db, h.lookup)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		name := fmt.Sprintf("sleeper-%d", i)
		queue := "sandbox-" + name
		args, err := os.ReadFile(h.stage(name, "args.txt"))
		if err != nil {
			t.Fatal(err)
		}
		// bootconf name, then bootpgm_args.
		if got, want := strings.TrimSpace(string(args)), name+" "+name+" "+queue; got != want {
			t.Errorf("%s ran with %q, want %q", name, got, want)
		}
		bag, err := r.Bag(name)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"scope": "sandbox", "name": name, "queue": queue, "url": "amqp://" + queue}
		if diff := cmp.Diff(want, bag); diff != "" {
			t.Errorf("%s bag (-want +got):\n%s", name, diff)
		}
	}
	args, err := os.ReadFile(h.stage("epum", "args.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(args)), "amqp://sandbox-sleeper-0 sleeper-1 sandbox-sleeper-2"; got != want {
		t.Errorf("epum ran with %q, want %q", got, want)
	}
}

// TestResolverRowOrder: at run time too a row sees only the rows before
// it (here bootout rows, which come after the deps rows), and settings see
// every row.
func TestResolverRowOrder(t *testing.T) {
	h := newHarness(t, sleepers())
	ctx := testCtx(t)
	_, err := h.db.AppendAttrs(ctx, "sleeper-0", store.OriginBootout, []store.Attr{
		{Key: "own", Value: "${.name}/${.queue}"}, {Key: "fwd", Value: "${.later}"}, {Key: "later", Value: "x"},
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := LoadResolver(ctx, h.db, h.lookup)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := r.Expand("${.own} ${.later}", "sleeper-0"); err != nil || v != "sleeper-0/sandbox-sleeper-0 x" {
		t.Errorf("settings see every row: %q, %v", v, err)
	}
	_, err = r.Bag("sleeper-0")
	const want = `attribute fwd: ${.later}: service "sleeper-0" has no attribute "later" yet: a bag row sees only the rows before it, and "later" comes later`
	if !errors.Is(err, plan.ErrLaterRow) || err.Error() != want {
		t.Errorf("bag with a row reading a later one: %v", err)
	}
}

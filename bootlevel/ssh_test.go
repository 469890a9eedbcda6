package bootlevel

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/cloudinitd/cloudinitd/remote/remotetest"
	"github.com/cloudinitd/cloudinitd/store"
	"github.com/google/go-cmp/cmp"
)

// TestBootOverSSH boots a hostname service on an in-process SSH server and
// a second service that runs on the first one's host through
// ${web.hostname}; the host key is recorded and checked from a reopened
// record.
func TestBootOverSSH(t *testing.T) {
	signer, keyPath := remotetest.NewKey(t)
	srv := remotetest.NewServer(t, signer.PublicKey())
	files := map[string]string{
		"top.conf": "[defaults]\niaas: fake\npgm_timeout: 30\n[runlevels]\nlevel1: level1.conf\nlevel2: level2.conf\n",
		"level1.conf": "[svc-web]\nhostname: " + srv.Host() + "\nssh_port: " + strconv.Itoa(srv.Port()) +
			"\nlocalsshkeypath: " + keyPath + "\nbootpgm: boot.sh\nbootpgm_args: ${.run_name} \"two words\"\nreadypgm: ready.sh\nterminatepgm: term.sh\n",
		"level2.conf": "[svc-side]\nhostname: ${web.hostname}\nssh_port: " + strconv.Itoa(srv.Port()) +
			"\nlocalsshkeypath: " + keyPath + "\nbootpgm: side.sh\nbootpgm_args: ${web.answer}\n",
		"boot.sh":  "#!/bin/sh\nprintf '%s\\n' \"$@\" > args.txt\necho '{\"answer\": 42}' > bootout.json\n",
		"ready.sh": "#!/bin/sh\ntest -f args.txt\n",
		"term.sh":  "#!/bin/sh\necho bye\n",
		"side.sh":  "#!/bin/sh\necho \"$1\" > got.txt\n",
	}
	h := newHarness(t, files)
	ctx := testCtx(t)
	if err := h.eng.Boot(ctx, BootOptions{}); err != nil {
		t.Fatalf("boot: %v", err)
	}
	args, err := os.ReadFile(h.stage("web", "args.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(testRun+"\ntwo words\n", string(args)); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	got, err := os.ReadFile(h.stage("side", "got.txt"))
	if err != nil || strings.TrimSpace(string(got)) != "42" {
		t.Errorf("side got %q, %v", got, err)
	}
	web := h.service("web")
	if web.State != store.StateReady || web.Hostname != srv.Host() || web.InstanceID != "" {
		t.Errorf("web: state %s hostname %q instance %q", web.State, web.Hostname, web.InstanceID)
	}
	if !strings.HasPrefix(web.HostKey, "ssh-ed25519 ") || !strings.HasSuffix(web.HostKey, ":"+strconv.Itoa(srv.Port())) {
		t.Errorf("host key recorded as %q", web.HostKey)
	}
	eng := h.reopen()
	if err := eng.Status(ctx); err != nil {
		t.Fatalf("status from a reopened record: %v", err)
	}
	if err := eng.Terminate(ctx); err != nil {
		t.Fatalf("terminate: %v", err)
	}
	if _, err := os.Stat(h.stage("web", "")); !os.IsNotExist(err) {
		t.Errorf("stage dir of web left: %v", err)
	}
	if s := h.service("web"); s.State != store.StateTerminated || s.Hostname != srv.Host() {
		t.Errorf("web after terminate: %s %q", s.State, s.Hostname)
	}
}

func TestDryRun(t *testing.T) {
	files := threeLevels()
	files["top.conf"] = strings.Replace(files["top.conf"], "local_exe: true\n", "", 1)
	h := newHarness(t, files)
	h.env["CLOUDINITD_FAKE_DRY_RUN"] = "true"
	h.eng.Connector = DryRunConnector{}
	if err := h.eng.Boot(testCtx(t), BootOptions{Prelaunch: true}); err != nil {
		t.Fatalf("dry run: %v", err)
	}
	for _, n := range []string{"one", "two", "three"} {
		if s := h.service(n); s.State != store.StateReady {
			t.Errorf("%s: %s", n, s.State)
		}
	}
	if err := h.eng.Terminate(testCtx(t)); err != nil {
		t.Errorf("terminate: %v", err)
	}
}

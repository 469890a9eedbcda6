package bootlevel

import (
	"os"
	"os/user"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/ec2/ec2test"
	"github.com/cloudinitd/cloudinitd/remote/remotetest"
	"github.com/cloudinitd/cloudinitd/store"
	"github.com/cloudinitd/cloudinitd/verify"
)

// fastPorts makes the engine's SSH connector poll ports quickly (an sshd
// starts a few milliseconds after its instance exists).
func fastPorts(e *Engine) {
	e.Connector.(*SSHConnector).PortWait = func(bool) verify.Backoff {
		return verify.Backoff{Initial: 20 * time.Millisecond, Max: 200 * time.Millisecond, Attempts: 200}
	}
}

// TestBootOnEC2 boots a two-level plan through the EC2 driver (wrapped as
// the CLI wraps it) against the fake EC2, whose instances get private
// 127.88.x.y addresses and no public one; an OpenSSH sshd is started on
// each address as soon as the instance exists. Level 2 gets level 1's
// hostname (its private address) and bootout value. Then a new process (a
// fresh driver that launched nothing and knows the credentials only from
// the plan, through ScopeAdder) runs status and terminate, and every
// instance ends terminated. Its budgets are sshdCtx's and a pgm_timeout as
// long: a step's sessions are OpenSSH's, which a loaded machine starves
// (a terminatepgm's prepare passed 60 s at load 13).
func TestBootOnEC2(t *testing.T) {
	signer, keyPath := remotetest.NewKey(t)
	farm := newSSHDFarm(t, signer.PublicKey())
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	srv := newEC2(t, ec2test.Options{})
	files := map[string]string{
		"top.conf": "[defaults]\n" + ec2Defaults(srv) +
			"hostname_from: private-ip\nssh_port: " + strconv.Itoa(farm.port) + "\nssh_username: " + me.Username +
			"\nlocalsshkeypath: " + keyPath + "\npgm_timeout: 300\n[runlevels]\nlevel1: l1.conf\nlevel2: l2.conf\n",
		"l1.conf": "[svc-l1]\nbootpgm: l1.sh\nreadypgm: ok.sh\nterminatepgm: bye.sh\n",
		"l2.conf": "[svc-l2]\nbootpgm: l2.sh\nbootpgm_args: ${l1.hostname} ${l1.greeting}\nreadypgm: ok.sh\n",
		"l1.sh":   "#!/bin/sh\necho '{\"greeting\": \"hello\"}' > bootout.json\n",
		"l2.sh":   "#!/bin/sh\necho \"$1 $2\" > got.txt\n",
		"ok.sh":   "#!/bin/sh\nexit 0\n",
		"bye.sh":  "#!/bin/sh\necho bye > \"$REMOTE_WORKING_DIR_ENV/bye.txt\" 2>/dev/null; exit 0\n",
	}
	h := newHarness(t, files, ec2Env)
	h.eng.Drivers = ec2Drivers()
	fastPorts(h.eng)
	ctx := sshdCtx(t)
	stop := farm.serveInstances(ctx, t, func() []string {
		var out []string
		for _, in := range srv.Instances() {
			out = append(out, in.PrivateIP)
		}
		return out
	})
	defer stop()

	if err := h.eng.Validate(ctx); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if err := h.eng.Boot(ctx, BootOptions{Prelaunch: true}); err != nil {
		t.Fatalf("boot: %v", err)
	}
	insts := srv.Instances()
	if len(insts) != 2 {
		t.Fatalf("%d instances in the cloud, want 2: %+v", len(insts), insts)
	}
	byService := map[string]ec2test.Instance{}
	for _, in := range insts {
		byService[in.Tags["cloudinitd:service"]] = in
		if !strings.HasPrefix(in.PrivateIP, "127.88.") || in.PublicIP != "" {
			t.Errorf("instance %s: private %q public %q", in.ID, in.PrivateIP, in.PublicIP)
		}
	}
	for _, n := range []string{"l1", "l2"} {
		s := h.service(n)
		if s.State != store.StateReady || s.Hostname != byService[n].PrivateIP || s.InstanceID != byService[n].ID {
			t.Errorf("%s: %s on %q instance %q; cloud has %+v", n, s.State, s.Hostname, s.InstanceID, byService[n])
		}
	}
	got, err := os.ReadFile(h.stage("l2", "got.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(byService["l1"].PrivateIP+" hello\n", string(got)); diff != "" {
		t.Errorf("level 2 got (-want +got):\n%s", diff)
	}

	// A later process: its driver has launched nothing and the default
	// credential chain is empty; only the plan's credentials work.
	eng := h.reopen()
	eng.Drivers = ec2Drivers()
	fastPorts(eng)
	if err := eng.Status(ctx); err != nil {
		t.Fatalf("status from a new process: %v", err)
	}
	if err := eng.Terminate(ctx); err != nil {
		t.Fatalf("terminate: %v", err)
	}
	for _, in := range srv.Instances() {
		if in.State != "terminated" && in.State != "shutting-down" {
			t.Errorf("instance %s of %s is %s after terminate", in.ID, in.Tags["cloudinitd:service"], in.State)
		}
	}
	for _, n := range []string{"l1", "l2"} {
		if s := h.service(n); s.State != store.StateTerminated {
			t.Errorf("%s after terminate: %s", n, s.State)
		}
	}
	if _, err := os.Stat(h.stage("l1", "")); !os.IsNotExist(err) {
		t.Errorf("l1's stage dir was not removed on its host: %v", err)
	}
}

// TestScopesFromPlan: a process that did not launch describes instances
// launched with the plan's credentials only because the engine hands the
// driver every service's scope; the same driver with its abilities hidden
// (no AddScope) cannot.
func TestScopesFromPlan(t *testing.T) {
	srv := newEC2(t, ec2test.Options{})
	files := map[string]string{
		"top.conf": "[defaults]\n" + ec2Defaults(srv) + "ssh_check: false\n[runlevels]\nlevel1: l1.conf\n",
		"l1.conf":  "[svc-a]\n[svc-b]\n",
	}
	h := newHarness(t, files, ec2Env)
	h.eng.Drivers = ec2Drivers()
	ctx := testCtx(t)
	if err := h.eng.Boot(ctx, BootOptions{Prelaunch: true}); err != nil {
		t.Fatalf("boot: %v", err)
	}
	eng := h.reopen()
	fresh := ec2Drivers()
	eng.Drivers = func(sel iaas.Selector) (iaas.Driver, error) {
		d, err := fresh(sel)
		return hiddenFinder{d}, err
	}
	err := eng.Status(ctx)
	if err == nil || !strings.Contains(err.Error(), "fingerprint") || strings.Contains(err.Error(), ec2Key) {
		t.Errorf("status without scopes: %v, want a credential error naming the key's fingerprint, not its id", err)
	}
	eng = h.reopen()
	eng.Drivers = ec2Drivers()
	if err := eng.Status(ctx); err != nil {
		t.Errorf("status with scopes: %v", err)
	}
	if err := eng.Terminate(ctx); err != nil {
		t.Errorf("terminate: %v", err)
	}
	for _, in := range srv.Instances() {
		if in.State != "terminated" && in.State != "shutting-down" {
			t.Errorf("%s is %s", in.ID, in.State)
		}
	}
}

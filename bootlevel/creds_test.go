package bootlevel

import (
	"errors"
	"strings"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"

	"github.com/cloudinitd/cloudinitd/iaas/ec2/ec2test"
	"github.com/cloudinitd/cloudinitd/store"
)

// TestCredentialsNotFromBag: a boot program whose bootout.json (and a deps
// file) names iaas_key, iaas_secret, iaas_url and image does not change
// where the run's instances are or with which credentials they are
// reached: a later process describes and terminates them with the plan's
// credentials, and the cloud has them terminated.
func TestCredentialsNotFromBag(t *testing.T) {
	srv := newEC2(t, ec2test.Options{})
	files := map[string]string{
		"top.conf": "[defaults]\n" + ec2Defaults(srv) + "ssh_check: false\n[runlevels]\nlevel1: l1.conf\nlevel2: l2.conf\n",
		"l1.conf":  "[svc-a]\nlocal_exe: true\nbootpgm: a.sh\ndeps: d.conf\n",
		"l2.conf":  "[svc-b]\n",
		"d.conf":   "[deps]\niaas_key: env.DEPS_KEY\niaas_url: http://127.0.0.1:1/\n",
		"a.sh": "#!/bin/sh\necho '{\"iaas_key\": \"AKIDHOSTILE000000000\", \"iaas_secret\": \"hostile\"," +
			" \"iaas_url\": \"http://127.0.0.1:1/\", \"image\": \"ami-hostile\"}' > bootout.json\n",
	}
	h := newHarness(t, files, ec2Env, map[string]string{"DEPS_KEY": "AKIDFROMDEPS00000000"})
	h.eng.Drivers = ec2Drivers()
	ctx := testCtx(t)
	if err := h.eng.Boot(ctx, BootOptions{}); err != nil {
		t.Fatalf("boot: %v", err)
	}
	if got := len(srv.Instances()); got != 2 {
		t.Fatalf("%d instances in the cloud, want 2", got)
	}
	eng := h.reopen()
	eng.Drivers = ec2Drivers()
	if err := eng.Status(ctx); err != nil {
		t.Errorf("status from a new process: %v", err)
	}
	if err := eng.Terminate(ctx); err != nil {
		t.Errorf("terminate from a new process: %v", err)
	}
	for _, in := range srv.Instances() {
		if in.State != "terminated" && in.State != "shutting-down" {
			t.Errorf("instance %s of %s is %s after terminate", in.ID, in.Tags["cloudinitd:service"], in.State)
		}
		if in.Image != ec2test.DefaultImage {
			t.Errorf("instance %s has image %s", in.ID, in.Image)
		}
	}
	for _, n := range []string{"a", "b"} {
		if s := h.service(n); s.State != store.StateTerminated {
			t.Errorf("%s after terminate: %s (%s)", n, s.State, s.LastError)
		}
	}
}

// TestCredentialVariableMissing: a later command whose environment lacks
// the variable a credential names fails the launch naming it, instead of
// launching with the driver's default chain (another account, or none).
func TestCredentialVariableMissing(t *testing.T) {
	files := map[string]string{
		"top.conf": "[defaults]\niaas: fake\nimage: img\nssh_check: false\niaas_key: env.K\niaas_secret: env.S\n[runlevels]\nlevel1: l1.conf\n",
		"l1.conf":  "[svc-a]\n",
	}
	h := newHarness(t, files, map[string]string{"K": "AKIDMISSINGTEST00001", "S": "missing-test-secret"})
	rn := h.run()
	spec, err := rn.spec(rn.resolver(), h.service("a"), h.count, 1, "tok")
	if err != nil || spec.Credentials != (iaas.Credentials{Key: "AKIDMISSINGTEST00001", Secret: "missing-test-secret"}) {
		t.Fatalf("spec with the variables: %v, %v", spec.Credentials, err)
	}
	delete(h.env, "S")
	rn = h.run()
	_, err = rn.spec(rn.resolver(), h.service("a"), h.count, 1, "tok")
	if !errors.Is(err, ErrCredentials) || !strings.Contains(err.Error(), "iaas_secret is env.S, which is not set") {
		t.Errorf("spec without S: %v, want ErrCredentials naming env.S", err)
	}
}

package bootlevel

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/ec2"
	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/store"
)

// TestAcceptanceEC2Boot boots a two-level plan on a real EC2-compatible
// cloud, checks it with status from a new engine, and terminates it,
// checking against the cloud that no instance is left. It launches two
// real instances of a cheap allocation. Set, beside the variables of
// iaas/ec2's TestAcceptance (CLOUDINITD_EC2_ENDPOINT, _REGION, _IMAGE,
// _ALLOCATION, _KEYNAME, _SUBNET and AWS credentials):
//
//	CLOUDINITD_EC2_SSHKEY  the private key file of CLOUDINITD_EC2_KEYNAME
//	CLOUDINITD_EC2_USER    the image's login user (ubuntu, ec2-user, ...)
//
// The instances must be reachable over SSH from this machine (a security
// group allowing port 22, CLOUDINITD_EC2_SECURITYGROUPS).
func TestAcceptanceEC2Boot(t *testing.T) {
	need := []string{"CLOUDINITD_EC2_ENDPOINT", "CLOUDINITD_EC2_IMAGE", "CLOUDINITD_EC2_KEYNAME", "CLOUDINITD_EC2_SSHKEY", "CLOUDINITD_EC2_USER"}
	for _, k := range need {
		if os.Getenv(k) == "" {
			t.Skipf("two-level boot on a real EC2 endpoint: set %v (and AWS credentials) to run it; it launches real instances", need)
		}
	}
	endpoint := os.Getenv("CLOUDINITD_EC2_ENDPOINT")
	defaults := "image: " + os.Getenv("CLOUDINITD_EC2_IMAGE") +
		"\nallocation: " + envOr("CLOUDINITD_EC2_ALLOCATION", "t3.nano") +
		"\niaas: " + envOr("CLOUDINITD_EC2_REGION", "us-east-1") +
		"\nsshkeyname: " + os.Getenv("CLOUDINITD_EC2_KEYNAME") +
		"\nlocalsshkeypath: " + os.Getenv("CLOUDINITD_EC2_SSHKEY") +
		"\nssh_username: " + os.Getenv("CLOUDINITD_EC2_USER") +
		"\npgm_timeout: 900\n"
	if endpoint != "aws" {
		defaults += "iaas_url: " + endpoint + "\n"
	}
	if v := os.Getenv("CLOUDINITD_EC2_SUBNET"); v != "" {
		defaults += "subnet: " + v + "\n"
	}
	if v := os.Getenv("CLOUDINITD_EC2_SECURITYGROUPS"); v != "" {
		defaults += "securitygroups: " + v + "\n"
	}
	files := map[string]string{
		"top.conf": "[defaults]\n" + defaults + "[runlevels]\nlevel1: l1.conf\nlevel2: l2.conf\n",
		"l1.conf":  "[svc-l1]\nbootpgm: l1.sh\nreadypgm: ok.sh\n",
		"l2.conf":  "[svc-l2]\nbootpgm: l2.sh\nbootpgm_args: ${l1.hostname} ${l1.greeting}\nreadypgm: ok.sh\n",
		"l1.sh":    "#!/bin/sh\necho '{\"greeting\": \"hello\"}' > bootout.json\n",
		"l2.sh":    "#!/bin/sh\n[ \"$2\" = hello ] && echo \"$1 $2\" > got.txt\n",
		"ok.sh":    "#!/bin/sh\nexit 0\n",
	}
	env := map[string]string{remote.WorkDirEnv: "/tmp/cloudinitd-acceptance"}
	h := newHarness(t, files, env)
	driver := func() func(iaas.Selector) (iaas.Driver, error) {
		d := ec2.Wrap(ec2.New(ec2.Options{Config: iaas.Config{LookupEnv: os.LookupEnv}}), nil)
		return func(iaas.Selector) (iaas.Driver, error) { return d, nil }
	}
	real := func(e *Engine) {
		e.Drivers = driver()
		e.Waits = Waits{} // the original's budgets: real machines take minutes
		e.Connector = NewSSHConnector(h.db, remote.SSHOptions{})
	}
	real(h.eng)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	t.Cleanup(func() {
		// Whatever happened, nothing is left running.
		_ = h.eng.Terminate(context.WithoutCancel(ctx))
	})
	if err := h.eng.Validate(ctx); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if err := h.eng.Boot(ctx, BootOptions{Prelaunch: true}); err != nil {
		t.Fatalf("boot: %v", err)
	}
	eng := h.reopen()
	real(eng)
	if err := eng.Status(ctx); err != nil {
		t.Fatalf("status from a new engine: %v", err)
	}
	if err := eng.Terminate(ctx); err != nil {
		t.Fatalf("terminate: %v", err)
	}
	entries, err := eng.History(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.State != iaas.StateTerminated && e.State != iaas.StateTerminating {
			t.Errorf("instance %s of %s is %s after terminate", e.InstanceID, e.Service, e.State)
		}
	}
	for _, n := range []string{"l1", "l2"} {
		if s := h.service(n); s.State != store.StateTerminated {
			t.Errorf("%s after terminate: %s", n, s.State)
		}
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

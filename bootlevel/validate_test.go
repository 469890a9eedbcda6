package bootlevel

import (
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/ec2/ec2test"
)

// keyDriver is a test wrapper giving the driver it wraps the SSHKeyProvider
// ability, as the local driver has it.
type keyDriver struct{ iaas.Driver }

func (keyDriver) ProvidesSSHKey() bool  { return true }
func (k keyDriver) Unwrap() iaas.Driver { return k.Driver }

// validatePlan has a service with programs and no key (web), one on web's
// host (side), one with a key and no ssh_username (db), a local_exe one and
// one without programs.
func validatePlan() map[string]string {
	return map[string]string{
		"top.conf": "[defaults]\niaas: fake\nimage: img\n[runlevels]\nlevel1: l1.conf\nlevel2: l2.conf\n",
		"l1.conf": "[svc-web]\nbootpgm: p.sh\n" +
			"[svc-db]\nlocalsshkeypath: p.sh\nreadypgm: p.sh\n" +
			"[svc-loc]\nlocal_exe: true\nbootpgm: p.sh\n" +
			"[svc-bare]\n",
		"l2.conf": "[svc-side]\nhostname: ${web.hostname}\nterminatepgm: p.sh\n",
		"p.sh":    "#!/bin/sh\n",
	}
}

func problems(err error) []string {
	var out []string
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, e.Error())
		}
	} else {
		out = append(out, err.Error())
	}
	sort.Strings(out)
	return out
}

func TestValidateSSHKeys(t *testing.T) {
	noKey := func(svc string) string {
		return `service "` + svc + `" has programs but no SSH key: set localsshkeypath or start ssh-agent`
	}
	for _, tc := range []struct {
		name   string
		env    map[string]string
		keys   bool // the driver provides keys
		want   []string
		warned []string // services warned about ssh_username
	}{
		{name: "no key", want: []string{noKey("side"), noKey("web")}, warned: []string{"db"}},
		{name: "agent", env: map[string]string{"SSH_AUTH_SOCK": "/tmp/agent.sock"}, warned: []string{"db", "side", "web"}},
		{name: "driver keys", keys: true}, // db too: its driver gives key and user
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, validatePlan(), tc.env)
			if tc.keys {
				h.eng.Drivers = func(iaas.Selector) (iaas.Driver, error) { return keyDriver{h.count}, nil }
			}
			err := h.eng.Validate(testCtx(t))
			if diff := cmp.Diff(tc.want, problems(err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			var warned []string
			for _, e := range h.events.all() {
				if e.Kind == KindWarning && strings.Contains(e.Detail, "no ssh_username") {
					warned = append(warned, e.Service)
				}
			}
			sort.Strings(warned)
			if diff := cmp.Diff(tc.warned, warned); diff != "" {
				t.Errorf("ssh_username warnings (-want +got):\n%s", diff)
			}
			if h.count.calls != 0 {
				t.Errorf("validate made %d launch calls", h.count.calls)
			}
		})
	}
}

// TestValidateEC2: the specs go to the EC2 driver's validator, which finds
// the missing image; a Nimbus service's security groups are a warning;
// nothing is launched.
func TestValidateEC2(t *testing.T) {
	srv := newEC2(t, ec2test.Options{})
	files := map[string]string{
		"top.conf": "[defaults]\n" + ec2Defaults(srv) + "localsshkeypath: p.sh\nssh_username: me\n" +
			"[runlevels]\nlevel1: l1.conf\n",
		"l1.conf": "[svc-good]\n" +
			"[svc-badimg]\nimage: ami-0000000000bad\n" +
			"[svc-nimbus]\niaas: nimbus\nsecuritygroups: default\n",
		"p.sh": "#!/bin/sh\n",
	}
	h := newHarness(t, files, ec2Env)
	h.eng.Drivers = ec2Drivers()
	err := h.eng.Validate(testCtx(t))
	got := problems(err)
	if len(got) != 1 || !strings.Contains(got[0], `service "badimg"`) || !strings.Contains(got[0], "InvalidAMIID.NotFound") {
		t.Errorf("problems: %q", got)
	}
	var warns []string
	for _, e := range h.events.all() {
		if e.Kind == KindWarning {
			warns = append(warns, e.Service+": "+e.Detail)
		}
	}
	if len(warns) != 1 || !strings.HasPrefix(warns[0], "nimbus: ") || !strings.Contains(warns[0], "security groups") {
		t.Errorf("warnings: %q", warns)
	}
	if n := srv.Calls("RunInstances"); n != 0 {
		t.Errorf("validate made %d RunInstances calls", n)
	}
	if strings.Contains(err.Error(), ec2Secret) {
		t.Error("the secret is in the error")
	}
	// With every image right, the plan is valid.
	srv.AddImage("ami-0000000000bad", "/dev/xvda")
	if err := h.eng.Validate(testCtx(t)); err != nil {
		t.Errorf("valid plan: %v", err)
	}
}

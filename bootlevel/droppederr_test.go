package bootlevel

import (
	"os"
	"strings"
	"testing"
)

// A bootconf whose value cannot be expanded at boot (level 1's bootout.json
// has no "conf"; the plan accepts the path because a file of that literal
// name exists, as it would after a reload of an edited plan) fails the service at the bootconf step; the boot program
// does not run without its bootconf.json.
func TestBootConfExpansionErrorFailsTheService(t *testing.T) {
	h := newHarness(t, map[string]string{
		"top.conf":    "[defaults]\niaas: fake\nimage: img\nlocal_exe: true\n[runlevels]\nlevel1: level1.conf\nlevel2: level2.conf\n",
		"level1.conf": "[svc-one]\nbootpgm: one-boot.sh\n",
		"one-boot.sh": "#!/bin/sh\necho '{\"token\": \"t\"}' > bootout.json\n",
		"level2.conf": "[svc-two]\nbootpgm: two-boot.sh\nbootconf: ${one.conf}\n",
		"two-boot.sh": "#!/bin/sh\ntouch ran\n",
		"${one.conf}": "{}",
	})
	err := h.eng.Boot(testCtx(t), BootOptions{Prelaunch: true})
	if err == nil {
		t.Fatal("boot succeeded; want the bootconf expansion error")
	}
	if !strings.Contains(err.Error(), "bootconf") || !strings.Contains(err.Error(), "one.conf") {
		t.Errorf("boot error = %v; want it to name bootconf and ${one.conf}", err)
	}
	if _, serr := os.Stat(h.stage("two", "ran")); serr == nil {
		t.Error("two's bootpgm ran without its bootconf.json")
	}
	if s := h.service("two"); s.State == "ready" {
		t.Errorf("two is %s; want it not ready", s.State)
	}
}

// An ssh_username that cannot be expanded (web booted and its bootout.json
// gave no "user") is a validation problem naming the attribute, not a
// missing ssh_username.
func TestValidateSSHUsernameExpansionError(t *testing.T) {
	h := newHarness(t, map[string]string{
		"top.conf": "[defaults]\niaas: fake\nimage: img\n[runlevels]\nlevel1: l1.conf\nlevel2: l2.conf\n",
		"l1.conf":  "[svc-web]\nlocal_exe: true\nbootpgm: p.sh\n",
		"l2.conf":  "[svc-side]\nreadypgm: p.sh\nssh_username: ${web.user}\n",
		"p.sh":     "#!/bin/sh\n",
	}, map[string]string{"SSH_AUTH_SOCK": "/tmp/agent.sock"})
	if err := h.eng.Boot(testCtx(t), BootOptions{}); err != nil {
		t.Logf("boot: %v (side has no SSH host here; only web's boot matters)", err)
	}
	if s := h.service("web"); s.State != "ready" {
		t.Fatalf("web is %s, want ready", s.State)
	}
	err := h.eng.Validate(testCtx(t))
	if err == nil || !strings.Contains(err.Error(), `service "web" has no attribute "user"`) {
		t.Errorf("validate = %v; want the ssh_username expansion error", err)
	}
	for _, e := range h.events.all() {
		if e.Kind == KindWarning && strings.Contains(e.Detail, "no ssh_username") {
			t.Errorf("warning for %s: %s", e.Service, e.Detail)
		}
	}
}

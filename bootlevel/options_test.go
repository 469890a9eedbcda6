package bootlevel

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/plan"
)

// TestSpecCarriesEveryDriverOption: each key plan.DriverOptionKeys lists,
// set on a service, reaches its LaunchSpec.Options expanded, and no other
// key does (the engine keeps no list of its own).
func TestSpecCarriesEveryDriverOption(t *testing.T) {
	var svc strings.Builder
	want := map[string]string{}
	svc.WriteString("[svc-one]\nbootpgm: ok.sh\n")
	for _, k := range plan.DriverOptionKeys() {
		v := "v-" + k + "-${global.g}"
		switch k {
		case "userdata":
			v = "ok.sh" // a file, resolved against the level file
		case "ssh_check":
			v = "true"
		}
		svc.WriteString(k + ": " + v + "\n")
		want[k] = strings.ReplaceAll(v, "${global.g}", "G")
	}
	h := newHarness(t, map[string]string{
		"top.conf": "[defaults]\niaas: fake\nimage: img\nlocal_exe: true\n[globals]\ng: G\n[runlevels]\nlevel1: l1.conf\n",
		"l1.conf":  svc.String(),
		"ok.sh":    "#!/bin/sh\nexit 0\n",
	})
	rn := h.run()
	r := rn.resolver()
	s, _ := r.Service("one")
	d, err := rn.serviceDriver(r, "one")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := rn.spec(r, s, d, 1, "tok")
	if err != nil {
		t.Fatal(err)
	}
	want["userdata"] = h.dir + "/ok.sh"
	if diff := cmp.Diff(want, spec.Options); diff != "" {
		t.Errorf("LaunchSpec.Options (-want +got):\n%s", diff)
	}
}

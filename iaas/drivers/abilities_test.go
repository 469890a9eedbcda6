package drivers

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// TestAbilities: the optional abilities (iaas/ability.go) of each
// registered driver, as the engine finds them through the wrappers Open
// adds (iaas.As). A driver that loses one (a method renamed, its signature
// changed) or gains one fails here, and so does a driver added to the
// registry without a line below. Nothing is called on the drivers.
func TestAbilities(t *testing.T) {
	want := map[string][]string{
		"ec2":   {"RunFinder", "ScopeAdder", "SpecValidator", "SSHKeyProvider: no", "StartedByFinder", "Warner"},
		"fake":  {"RunFinder", "ScopeAdder: no", "SpecValidator: no", "SSHKeyProvider: no", "StartedByFinder", "Warner: no"},
		"local": {"RunFinder", "ScopeAdder: no", "SpecValidator: no", "SSHKeyProvider", "StartedByFinder", "Warner: no"},
	}
	r := Registry()
	got := map[string][]string{}
	for _, name := range r.Names() {
		cfg := iaas.Config{StateDir: t.TempDir(), LookupEnv: func(k string) (string, bool) {
			if k == "AWS_EC2_METADATA_DISABLED" {
				return "true", true
			}
			return "", false
		}}
		d, err := Open(r, iaas.Selector{Value: name}, cfg)
		if err != nil {
			t.Fatalf("Open(%s): %v", name, err)
		}
		got[name] = abilities(d)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("abilities (-want +got):\n%s", diff)
	}
}

// abilities names each optional ability, with ": no" when d lacks it.
func abilities(d iaas.Driver) []string {
	var out []string
	has := func(name string, ok bool) {
		if !ok {
			name += ": no"
		}
		out = append(out, name)
	}
	_, ok := iaas.As[iaas.RunFinder](d)
	has("RunFinder", ok)
	_, ok = iaas.As[iaas.ScopeAdder](d)
	has("ScopeAdder", ok)
	_, ok = iaas.As[iaas.SpecValidator](d)
	has("SpecValidator", ok)
	p, ok := iaas.As[iaas.SSHKeyProvider](d)
	has("SSHKeyProvider", ok && p.ProvidesSSHKey())
	_, ok = iaas.As[iaas.StartedByFinder](d)
	has("StartedByFinder", ok)
	_, ok = iaas.As[iaas.Warner](d)
	has("Warner", ok)
	return out
}

package drivers

import (
	"errors"
	"slices"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
)

// TestDriversResolve: the registry maps every iaas value a plan may hold
// to its driver; a value that names no driver, alias or EC2 region is an
// error (was: silently EC2), unless the service sets iaas_url (a region
// of that EC2-compatible cloud).
func TestDriversResolve(t *testing.T) {
	r := Registry()
	cases := map[string]string{
		"local": "local", "LOCAL": "local", "fake": "fake", "ec2": "ec2", "aws": "ec2",
		"NimBus": "ec2", "eucalyptus": "ec2", "us-west-2": "ec2", "": "ec2",
	}
	for in, want := range cases {
		got, err := r.Resolve(iaas.Selector{Value: in})
		if err != nil || got != want || !r.Known(in) {
			t.Errorf("Resolve(%q) = %q, %v (Known %v); want %q", in, got, err, r.Known(in), want)
		}
	}
	for _, bad := range []string{"lokal", "RegionOne", "us-west"} {
		if _, err := r.Resolve(iaas.Selector{Value: bad}); !errors.Is(err, iaas.ErrUnknownDriver) || r.Known(bad) {
			t.Errorf("Resolve(%q) = %v (Known %v), want ErrUnknownDriver", bad, err, r.Known(bad))
		}
		if _, err := r.Open(bad, iaas.Config{}); !errors.Is(err, iaas.ErrUnknownDriver) {
			t.Errorf("Open(%q) = %v, want ErrUnknownDriver", bad, err)
		}
	}
	if got, err := r.Resolve(iaas.Selector{Value: "RegionOne", Endpoint: true}); err != nil || got != "ec2" {
		t.Errorf("Resolve(RegionOne with iaas_url) = %q, %v; want ec2", got, err)
	}
}

// TestPlanIaaS: what plan.Load checks iaas values against is the
// registry's: its names and aliases, and what it resolves.
func TestPlanIaaS(t *testing.T) {
	n := PlanIaaS(Registry())
	if want := []string{"aws", "ec2", "eucalyptus", "fake", "local", "nimbus"}; !slices.Equal(n.Names, want) {
		t.Errorf("Names = %v, want %v", n.Names, want)
	}
	for _, c := range []struct {
		value    string
		endpoint bool
		known    bool
	}{
		{"local", false, true}, {"AWS", false, true}, {"eu-west-1", false, true}, {"", false, true},
		{"lokal", false, false}, {"RegionOne", false, false}, {"RegionOne", true, true},
	} {
		if got := n.Known(c.value, c.endpoint); got != c.known {
			t.Errorf("Known(%q, endpoint %v) = %v, want %v", c.value, c.endpoint, got, c.known)
		}
	}
}

// TestOpen: Open resolves the value, opens that driver with the config and
// wraps it as its entry says; an unknown value is ErrUnknownDriver.
func TestOpen(t *testing.T) {
	r := Registry()
	d, err := Open(r, iaas.Selector{Value: "FAKE"}, iaas.Config{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if d.Name() != "fake" {
		t.Errorf("Open(FAKE) opened %q, want fake", d.Name())
	}
	if _, bare := d.(*fake.Driver); bare {
		t.Error("Open returned the bare driver, want it wrapped (retries, limits)")
	}
	if _, ok := iaas.As[*fake.Driver](d); !ok {
		t.Error("the wrapped driver does not unwrap to the fake driver")
	}
	if _, err := Open(r, iaas.Selector{Value: "lokal"}, iaas.Config{}); !errors.Is(err, iaas.ErrUnknownDriver) {
		t.Errorf("Open(lokal) = %v, want ErrUnknownDriver", err)
	}
}

package fake_test

import (
	"context"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
)

// TestOptionsDryRun: a driver built with DryRun makes every launch a dry
// run (running at once, handle marked), whatever the spec and environment
// say; a clone keeps it.
func TestOptionsDryRun(t *testing.T) {
	env := func(k string) (string, bool) { return "5s", k == fake.EnvVar(fake.KeyRunningDelay) }
	d, err := fake.New(fake.Options{Memory: true, DryRun: true, LookupEnv: env})
	if err != nil {
		t.Fatal(err)
	}
	for i, drv := range []*fake.Driver{d, d.Clone()} {
		in, err := drv.Launch(context.Background(), iaas.LaunchSpec{Service: "s", ClientToken: "t" + string(rune('0'+i)),
			Options: map[string]string{fake.KeyDryRun: "false", fake.KeyRunningDelay: "10"}})
		if err != nil {
			t.Fatal(err)
		}
		h, err := fake.DecodeHandle(in.Handle)
		if err != nil || !h.DryRun || in.State != iaas.StateRunning {
			t.Errorf("driver %d: launch %s, handle %+v %v; want running at once, marked dry run", i, in.State, h, err)
		}
	}
}

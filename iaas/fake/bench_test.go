package fake_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
)

func benchLaunch(b *testing.B, o fake.Options) {
	o.LookupEnv = noEnv
	d, err := fake.New(o)
	if err != nil {
		b.Fatal(err)
	}
	opts := map[string]string{fake.KeyRunningDelay: "0"}
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if _, err := d.Launch(ctx, iaas.LaunchSpec{ClientToken: fmt.Sprintf("tok-%d", i), Options: opts}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkLaunchMemory(b *testing.B) { benchLaunch(b, fake.Options{Memory: true}) }
func BenchmarkLaunchDisk(b *testing.B)   { benchLaunch(b, fake.Options{Dir: b.TempDir()}) }

// BenchmarkDescribeDisk describes a batch of 100 of 1,000 instances, as an
// engine polling a level would.
func BenchmarkDescribeDisk(b *testing.B) {
	d, err := fake.New(fake.Options{Dir: b.TempDir(), LookupEnv: noEnv})
	if err != nil {
		b.Fatal(err)
	}
	var refs []iaas.Ref
	for i := range 1000 {
		inst, err := d.Launch(context.Background(), iaas.LaunchSpec{ClientToken: fmt.Sprint(i)})
		if err != nil {
			b.Fatal(err)
		}
		refs = append(refs, iaas.Ref{ID: inst.ID})
	}
	i := 0
	for b.Loop() {
		lo := (i * 100) % len(refs)
		if _, err := d.Describe(context.Background(), refs[lo:lo+100]...); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

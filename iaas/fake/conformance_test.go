package fake_test

import (
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
	"github.com/cloudinitd/cloudinitd/iaas/iaastest"
)

// noEnv is an environment with no variables, so the developer's
// CLOUDINITD_FAKE_* settings cannot change the tests.
func noEnv(string) (string, bool) { return "", false }

func harnessSpec() iaas.LaunchSpec {
	return iaas.LaunchSpec{Image: "fake-image", Options: map[string]string{
		fake.KeyRunningDelay: "30ms", fake.KeyTerminateDelay: "30ms",
	}}
}

func permanent(spec *iaas.LaunchSpec) { spec.Options[fake.KeyLaunchDelay] = "not-a-delay" }

func TestConformanceDisk(t *testing.T) {
	dir := t.TempDir()
	iaastest.Run(t, iaastest.Harness{
		NewDriver: func(t *testing.T) iaas.Driver {
			d, err := fake.New(fake.Options{Dir: dir, LookupEnv: noEnv})
			if err != nil {
				t.Fatal(err)
			}
			return d
		},
		Spec: harnessSpec(), Permanent: permanent, Timeout: 10 * time.Second, RunFinder: true,
	})
}

func TestConformanceMemory(t *testing.T) {
	root, err := fake.New(fake.Options{Memory: true, LookupEnv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	iaastest.Run(t, iaastest.Harness{
		NewDriver: func(*testing.T) iaas.Driver { return root.Clone() },
		Spec:      harnessSpec(), Permanent: permanent, Timeout: 10 * time.Second, RunFinder: true,
	})
}

// TestConformanceWrapped runs the suite through every wrapper at once: they
// must keep the contract of the driver they wrap.
func TestConformanceWrapped(t *testing.T) {
	dir := t.TempDir()
	iaastest.Run(t, iaastest.Harness{
		NewDriver: func(t *testing.T) iaas.Driver {
			d, err := fake.New(fake.Options{Dir: dir, LookupEnv: noEnv})
			if err != nil {
				t.Fatal(err)
			}
			return iaas.WithRetry(iaas.WithLimit(iaas.WithRateLimit(d, 1000, 100), 4),
				iaas.RetryPolicy{Base: time.Millisecond, Max: 5 * time.Millisecond})
		},
		Spec: harnessSpec(), Permanent: permanent, Timeout: 10 * time.Second, RunFinder: true,
	})
}

package ec2_test

import (
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/ec2"
	"github.com/cloudinitd/cloudinitd/iaas/ec2/ec2test"
	"github.com/cloudinitd/cloudinitd/iaas/iaastest"
)

func harness(s *ec2test.Server, wrap bool) iaastest.Harness {
	sp := spec(s, "")
	return iaastest.Harness{
		NewDriver: func(t *testing.T) iaas.Driver {
			d := newDriver(nil)
			// A fresh process gets the plan's credentials from the engine.
			if err := d.AddScope(sp); err != nil {
				t.Fatal(err)
			}
			if wrap {
				return ec2.Wrap(d, nil)
			}
			return d
		},
		Spec:      sp,
		Permanent: func(s *iaas.LaunchSpec) { s.Image = "ami-0000000000000dead" },
		Timeout:   10 * time.Second,
		RunFinder: true,
	}
}

func TestConformance(t *testing.T) {
	s := newServer(t, ec2test.Options{RunningDelay: 30 * time.Millisecond, TerminateDelay: 30 * time.Millisecond})
	iaastest.Run(t, harness(s, false))
}

// TestConformanceWrapped runs the suite through Wrap, with the fake
// throttling now and then: retries must hide it.
func TestConformanceWrapped(t *testing.T) {
	s := newServer(t, ec2test.Options{RunningDelay: 30 * time.Millisecond, TerminateDelay: 30 * time.Millisecond})
	s.Throttle("DescribeInstances", 2)
	s.Throttle("RunInstances", 1)
	iaastest.Run(t, harness(s, true))
}

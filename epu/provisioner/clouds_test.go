package provisioner

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestClouds: health's clouds are the distinct clouds of the deployable
// types, sorted, with the drivers' state directory: what epumgmt sweeps.
func TestClouds(t *testing.T) {
	cfg := Config{IaaSStateDir: "/state", DeployableTypes: map[string]DeployableType{
		"b":  {IaaS: "us-east-1", IaaSURL: "http://127.0.0.1:1"},
		"a":  {IaaS: "local", Image: "x"},
		"a2": {IaaS: "local", Image: "y"},
		"c":  {IaaS: "us-east-1"},
	}}
	want := []Cloud{
		{IaaS: "local", StateDir: "/state"},
		{IaaS: "us-east-1", StateDir: "/state"},
		{IaaS: "us-east-1", IaaSURL: "http://127.0.0.1:1", StateDir: "/state"},
	}
	if diff := cmp.Diff(want, cfg.clouds()); diff != "" {
		t.Errorf("clouds (-want +got):\n%s", diff)
	}
}

package ec2_test

import (
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas/ec2"
)

func TestIsRegion(t *testing.T) {
	for name, want := range map[string]bool{
		"us-east-1": true, "us-west-2": true, "eu-central-1": true, "ap-southeast-2": true,
		"us-gov-west-1": true, "cn-north-1": true, "il-central-1": true, "US-EAST-1": true,
		"": false, "ec2": false, "nimbus": false, "us-east": false, "mars-north-1": false, "us-east-1a": false,
	} {
		if got := ec2.IsRegion(name); got != want {
			t.Errorf("IsRegion(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestAliases(t *testing.T) {
	got := map[string]bool{}
	for _, a := range ec2.Aliases() {
		got[a.Name] = a.NeedsURL
		if a.Quirk == "" {
			t.Errorf("alias %s has no quirk text", a.Name)
		}
	}
	want := map[string]bool{"aws": false, "nimbus": true, "eucalyptus": true}
	for n, u := range want {
		if g, ok := got[n]; !ok || g != u {
			t.Errorf("alias %s: present %v needs url %v, want needs url %v", n, ok, g, u)
		}
	}
}

package cli

import (
	"strings"
	"testing"
)

func TestDriversKnowsEveryDriver(t *testing.T) {
	r := Drivers()
	for _, name := range []string{"local", "fake", "ec2", "aws", "nimbus", "eucalyptus"} {
		if _, err := r.Lookup(name); err != nil {
			t.Errorf("Lookup(%q): %v", name, err)
		}
	}
	_, err := r.Lookup("nosuchcloud")
	if err == nil || !strings.Contains(err.Error(), `unknown iaas "nosuchcloud"`) {
		t.Errorf("Lookup(nosuchcloud) = %v, want an error naming the iaas", err)
	}
}

func TestDriverName(t *testing.T) {
	r := Drivers()
	cases := map[string]string{
		"local": "local", "LOCAL": "local", "fake": "fake", "ec2": "ec2", "aws": "ec2",
		"NimBus": "ec2", "eucalyptus": "ec2", "us-west-2": "ec2", "": "ec2", "RegionOne": "ec2",
	}
	for in, want := range cases {
		if got := DriverName(r, in); got != want {
			t.Errorf("DriverName(%q) = %q, want %q", in, got, want)
		}
	}
}

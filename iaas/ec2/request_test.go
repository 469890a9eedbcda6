package ec2_test

import (
	"encoding/base64"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/ec2"
	"github.com/cloudinitd/cloudinitd/iaas/ec2/ec2test"
)

// pick returns the form values of keys, "" for absent ones.
func pick(f url.Values, keys ...string) map[string]string {
	out := map[string]string{}
	for _, k := range keys {
		out[k] = f.Get(k)
	}
	return out
}

// TestRunInstancesRequest checks the RunInstances form each plan key
// produces, as the fake received it.
func TestRunInstancesRequest(t *testing.T) {
	userdata := filepath.Join(t.TempDir(), "user-data")
	if err := os.WriteFile(userdata, []byte("#!/bin/sh\necho hi\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(*iaas.LaunchSpec)
		want map[string]string
	}{
		{"basics", func(*iaas.LaunchSpec) {}, map[string]string{
			"Action": "RunInstances", "ImageId": ec2test.DefaultImage, "InstanceType": "t3.micro",
			"KeyName": ec2test.DefaultKeyPair, "MinCount": "1", "MaxCount": "1",
			"ClientToken": "run1-svc-1", "SecurityGroup.1": "", "SecurityGroupId.1": "", "SubnetId": "",
		}},
		{"security groups by name and id, comma and space separated", func(s *iaas.LaunchSpec) {
			s.SecurityGroups = []string{"default, sg-0ec2test00000001", "web"}
		}, map[string]string{
			"SecurityGroup.1": "default", "SecurityGroup.2": "web", "SecurityGroupId.1": "sg-0ec2test00000001",
		}},
		{"subnet", func(s *iaas.LaunchSpec) { s.Options = map[string]string{ec2.KeySubnet: "subnet-0abc"} },
			map[string]string{"SubnetId": "subnet-0abc"}},
		{"userdata", func(s *iaas.LaunchSpec) { s.Options = map[string]string{ec2.KeyUserData: userdata} },
			map[string]string{"UserData": base64.StdEncoding.EncodeToString([]byte("#!/bin/sh\necho hi\n"))}},
		{"spot", func(s *iaas.LaunchSpec) { s.Options = map[string]string{ec2.KeySpot: "TRUE"} },
			map[string]string{"InstanceMarketOptions.MarketType": "spot"}},
		{"root volume", func(s *iaas.LaunchSpec) { s.Options = map[string]string{ec2.KeyRootVolumeSize: "40"} },
			map[string]string{"BlockDeviceMapping.1.DeviceName": ec2test.DefaultRootDevice,
				"BlockDeviceMapping.1.Ebs.VolumeSize": "40", "BlockDeviceMapping.1.Ebs.DeleteOnTermination": "true"}},
		{"tags", func(s *iaas.LaunchSpec) { s.Options = map[string]string{ec2.KeyTags: "team=infra, cost=42"} },
			map[string]string{
				"TagSpecification.1.ResourceType": "instance",
				"TagSpecification.1.Tag.1.Key":    "Name", "TagSpecification.1.Tag.1.Value": "run1-svc",
				"TagSpecification.1.Tag.2.Key": ec2.TagRun, "TagSpecification.1.Tag.2.Value": "run1",
				"TagSpecification.1.Tag.3.Key": ec2.TagService, "TagSpecification.1.Tag.3.Value": "svc",
				"TagSpecification.1.Tag.4.Key": ec2.TagAttempt, "TagSpecification.1.Tag.4.Value": "1",
				"TagSpecification.1.Tag.5.Key": "team", "TagSpecification.1.Tag.5.Value": "infra",
				"TagSpecification.1.Tag.6.Key": "cost", "TagSpecification.1.Tag.6.Value": "42",
			}},
		{"nimbus drops security groups", func(s *iaas.LaunchSpec) {
			s.Region = "nimbus"
			s.SecurityGroups = []string{"default"}
		}, map[string]string{"SecurityGroup.1": "", "SecurityGroupId.1": ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, ec2test.Options{})
			srv.AddSecurityGroup("sg-0ec2test00000002", "web")
			sp := spec(srv, "svc")
			tc.edit(&sp)
			if _, err := newDriver(nil).Launch(ctx(t), sp); err != nil {
				t.Fatalf("Launch: %v", err)
			}
			reqs := srv.Requests("RunInstances")
			if len(reqs) != 1 {
				t.Fatalf("%d RunInstances calls, want 1", len(reqs))
			}
			keys := make([]string, 0, len(tc.want))
			for k := range tc.want {
				keys = append(keys, k)
			}
			if diff := cmp.Diff(tc.want, pick(reqs[0], keys...)); diff != "" {
				t.Errorf("RunInstances form (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLaunchedInstance checks what the fake recorded and what the driver
// returns: tags, addresses, hostname choice.
func TestLaunchedInstance(t *testing.T) {
	srv := newServer(t, ec2test.Options{PublicSubnet: mustPrefix("127.99.0.0/16"), PublicDNS: true})
	d := newDriver(nil)
	tests := []struct {
		from, want string
	}{
		{"", "ec2-127-99-0-1.compute.ec2test.invalid"},
		{ec2.HostPublicIP, "127.99.0.2"},
		{ec2.HostPrivateIP, "127.88.0.3"},
	}
	for i, tc := range tests {
		sp := spec(srv, "host-"+tc.from)
		sp.Options = map[string]string{ec2.KeyHostnameFrom: tc.from}
		inst, err := d.Launch(ctx(t), sp)
		if err != nil {
			t.Fatal(err)
		}
		got, err := newFresh(sp).Describe(ctx(t), iaas.Ref{ID: inst.ID, Handle: inst.Handle})
		if err != nil {
			t.Fatal(err)
		}
		if got[0].State != iaas.StateRunning || got[0].Hostname != tc.want {
			t.Errorf("#%d hostname_from=%q: state %s hostname %q, want running %q", i, tc.from, got[0].State, got[0].Hostname, tc.want)
		}
	}
	tags := srv.Instances()[0].Tags
	want := map[string]string{"Name": "run1-host-", ec2.TagRun: "run1", ec2.TagService: "host-", ec2.TagAttempt: "1"}
	if diff := cmp.Diff(want, tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
}

// TestBadOptions: each bad value fails the launch as ErrPermanent naming
// the key, before any call.
func TestBadOptions(t *testing.T) {
	srv := newServer(t, ec2test.Options{})
	for _, o := range []map[string]string{
		{ec2.KeyRootVolumeSize: "big"}, {ec2.KeySpot: "maybe"}, {ec2.KeyHostnameFrom: "dns"},
		{ec2.KeyTags: "novalue"}, {ec2.KeyTags: "aws:x=1"}, {ec2.KeySSHCheck: "perhaps"},
		{ec2.KeyUserData: "/nonexistent/user-data"},
	} {
		sp := spec(srv, "svc")
		sp.Options = o
		_, err := newDriver(nil).Launch(ctx(t), sp)
		for k := range o {
			if !errorsIs(err, iaas.ErrPermanent) || !contains(err, k) {
				t.Errorf("options %v: err %v, want ErrPermanent naming %s", o, err, k)
			}
		}
	}
	if n := srv.Calls(""); n != 0 {
		t.Errorf("%d calls reached the cloud, want 0", n)
	}
}

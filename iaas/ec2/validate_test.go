package ec2_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/ec2"
	"github.com/cloudinitd/cloudinitd/iaas/ec2/ec2test"
)

var _ iaas.SpecValidator = ec2.New(ec2.Options{})

func TestValidate(t *testing.T) {
	srv := newServer(t, ec2test.Options{})
	good := spec(srv, "good")
	good.SecurityGroups = []string{"default sg-0ec2test00000001"}
	badImage := spec(srv, "badimage")
	badImage.Image = "ami-0000000000000dead"
	badKey := spec(srv, "badkey")
	badKey.KeyName = "nokey"
	badGroups := spec(srv, "badgroups")
	badGroups.SecurityGroups = []string{"nogroup,sg-0000000000000dead"}
	badOption := spec(srv, "badoption")
	badOption.Options = map[string]string{ec2.KeySpot: "sometimes"}
	nimbus := spec(srv, "nimbus")
	nimbus.Region, nimbus.SecurityGroups = "nimbus", []string{"nogroup"} // a warning, not an error

	d := iaas.Driver(ec2.Wrap(newDriver(nil), nil))
	v, ok := iaas.As[iaas.SpecValidator](d)
	if !ok {
		t.Fatal("the wrapped driver does not offer Validator")
	}
	errs := v.Validate(ctx(t), []iaas.LaunchSpec{good, badImage, badKey, badGroups, badOption, nimbus})
	var got []string
	for _, err := range errs {
		got = append(got, err.Error())
	}
	want := []string{
		`service "badimage": validate: InvalidAMIID.NotFound: image "ami-0000000000000dead" not found`,
		`service "badkey": validate: InvalidKeyPair.NotFound: key pair "nokey" not found`,
		`service "badgroups": validate: InvalidGroup.NotFound: security group "nogroup" not found`,
		`service "badgroups": validate: InvalidGroup.NotFound: security group "sg-0000000000000dead" not found`,
		`service "badoption": validate: ec2.option: spot = "sometimes": want true or false`,
	}
	if len(got) != len(want) {
		t.Fatalf("Validate returned %d errors, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("error %d = %q, want prefix %q", i, got[i], want[i])
		}
		if !errors.Is(errs[i], iaas.ErrPermanent) {
			t.Errorf("error %d is not ErrPermanent", i)
		}
	}
	if n := srv.Calls("RunInstances"); n != 0 {
		t.Errorf("Validate made %d RunInstances calls, want 0", n)
	}
	dry := srv.Requests("DescribeInstances")
	if len(dry) != 2 || dry[0].Get("DryRun") != "true" {
		t.Errorf("DescribeInstances calls %v, want one DryRun per scope (ec2, nimbus)", dry)
	}
	if w := ec2.Warnings(nimbus); len(w) != 1 || !strings.Contains(w[0], "Nimbus") {
		t.Errorf("Warnings(nimbus) = %q", w)
	}
}

// TestValidateCredentials: a scope whose credentials fail marks every
// service of the scope, and nothing else is asked there.
func TestValidateCredentials(t *testing.T) {
	srv := newServer(t, ec2test.Options{})
	a, b := spec(srv, "a"), spec(srv, "b")
	a.Credentials.Secret, b.Credentials.Secret = "wrong", "wrong"
	errs := newDriver(nil).Validate(ctx(t), []iaas.LaunchSpec{a, b})
	if len(errs) != 2 {
		t.Fatalf("errors %v, want one per service", errs)
	}
	for i, name := range []string{`service "a"`, `service "b"`} {
		if !strings.HasPrefix(errs[i].Error(), name) || !strings.Contains(errs[i].Error(), "SignatureDoesNotMatch") {
			t.Errorf("error %d = %v", i, errs[i])
		}
	}
	if n := srv.Calls("DescribeInstances"); n != 1 {
		t.Errorf("%d DescribeInstances calls, want 1 for the one scope", n)
	}
	if n := srv.Calls("DescribeImages"); n != 0 {
		t.Errorf("%d DescribeImages calls after failed credentials, want 0", n)
	}
}

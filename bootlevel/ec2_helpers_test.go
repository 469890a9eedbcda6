package bootlevel

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/ec2"
	"github.com/cloudinitd/cloudinitd/iaas/ec2/ec2test"
)

// Credentials the fake EC2 of these tests accepts (signatures checked).
const (
	ec2Key    = "AKIDBOOTLEVELTEST001"
	ec2Secret = "bootlevel-ec2test-secret"
)

// ec2Env is the environment that resolves a plan's iaas_key: env.EC2_KEY
// and iaas_secret: env.EC2_SECRET.
var ec2Env = map[string]string{"EC2_KEY": ec2Key, "EC2_SECRET": ec2Secret}

// newEC2 starts a fake EC2 that accepts only ec2Key.
func newEC2(t *testing.T, o ec2test.Options) *ec2test.Server {
	t.Helper()
	o.AccessKeyID, o.SecretAccessKey = ec2Key, ec2Secret
	srv := ec2test.New(o)
	t.Cleanup(srv.Close)
	return srv
}

// ec2Drivers gives the engine one EC2 driver, wrapped as the CLI wraps it,
// for every iaas value, as a new process would have it: it reads no real
// environment (so no default credentials) and never asks the instance
// metadata service.
func ec2Drivers() func(iaas.Selector) (iaas.Driver, error) {
	d := ec2.Wrap(ec2.New(ec2.Options{
		Config:      iaas.Config{LookupEnv: func(string) (string, bool) { return "", false }},
		LoadOptions: []func(*config.LoadOptions) error{config.WithEC2IMDSClientEnableState(imds.ClientDisabled)},
	}), nil)
	return func(iaas.Selector) (iaas.Driver, error) { return d, nil }
}

// ec2Defaults is the [defaults] of a plan on srv with the credentials from the
// environment.
func ec2Defaults(srv *ec2test.Server) string {
	return "iaas: RegionOne\niaas_url: " + srv.URL() + "\niaas_key: env.EC2_KEY\niaas_secret: env.EC2_SECRET\n" +
		"image: " + ec2test.DefaultImage + "\nallocation: t3.micro\nsshkeyname: " + ec2test.DefaultKeyPair + "\n"
}

package ec2_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/ec2"
	"github.com/cloudinitd/cloudinitd/iaas/ec2/ec2test"
)

const (
	testKey    = "AKIDEC2TESTKEY000001"
	testSecret = "ec2test-secret-do-not-print"
	// testKeyHash is printf %s AKIDEC2TESTKEY000001 | sha256sum | cut -c1-16.
	testKeyHash = "452ad3df5163e395"
)

// env is an injected environment: only these variables exist.
type env map[string]string

func (e env) lookup(k string) (string, bool) { v, ok := e[k]; return v, ok }

// newServer starts a fake EC2 that accepts only testKey, signatures checked.
func newServer(t *testing.T, o ec2test.Options) *ec2test.Server {
	t.Helper()
	if o.AccessKeyID == "" {
		o.AccessKeyID, o.SecretAccessKey = testKey, testSecret
	}
	s := ec2test.New(o)
	t.Cleanup(s.Close)
	return s
}

// newDriver returns a driver that reads no real environment and never asks
// the instance metadata service.
func newDriver(e env) *ec2.Driver {
	return ec2.New(ec2.Options{
		Config:      iaas.Config{LookupEnv: e.lookup},
		LoadOptions: []func(*config.LoadOptions) error{config.WithEC2IMDSClientEnableState(imds.ClientDisabled)},
	})
}

func spec(s *ec2test.Server, service string) iaas.LaunchSpec {
	return iaas.LaunchSpec{Run: iaas.RunID{Name: "run1"}, Service: service, Attempt: 1,
		ClientToken: iaas.ClientToken("run1", service, 1),
		Image:       ec2test.DefaultImage, Allocation: "t3.micro", Region: "us-east-1", Endpoint: s.URL(),
		KeyName:     ec2test.DefaultKeyPair,
		Credentials: iaas.Credentials{Key: testKey, Secret: testSecret}}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func contains(err error, s string) bool { return err != nil && strings.Contains(err.Error(), s) }

// newFresh is a driver as a later process makes it: it knows the plan's
// scope (the engine passes it) but has launched nothing.
func newFresh(sp iaas.LaunchSpec) *ec2.Driver {
	d := newDriver(nil)
	if err := d.AddScope(sp); err != nil {
		panic(err)
	}
	return d
}

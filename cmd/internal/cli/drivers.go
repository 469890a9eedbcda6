package cli

import (
	"slices"
	"strings"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/ec2"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
	"github.com/cloudinitd/cloudinitd/iaas/local"
)

// Drivers builds the registry of every IaaS driver the programs know. It is
// the only place that names concrete drivers.
func Drivers() *iaas.Registry {
	r := iaas.NewRegistry()
	r.Register(local.Name, local.Factory)
	r.Register(fake.Name, fake.Factory)
	r.Register(ec2.Name, ec2.Factory)
	for _, a := range ec2.Aliases() {
		r.Alias(a.Name, ec2.Name)
	}
	return r
}

// DriverName maps a plan's iaas value to the registered driver that serves
// it, as cloudinit.d did: a registered name or alias (local, fake, ec2, aws,
// nimbus, eucalyptus) selects its driver; anything else, including an empty
// value, is an EC2 region, of AWS or of the EC2-compatible cloud at
// iaas_url (the EC2 driver rejects a name that is neither).
func DriverName(r *iaas.Registry, iaasValue string) string {
	v := strings.ToLower(strings.TrimSpace(iaasValue))
	if slices.Contains(r.Names(), v) {
		return v
	}
	return ec2.Name
}

// Wrap adds the retry, concurrency and rate wrappers that suit the driver:
// EC2's own (its API limits requests per account), generic ones otherwise.
func Wrap(name string, d iaas.Driver, cfg iaas.Config) iaas.Driver {
	if name == ec2.Name {
		return ec2.Wrap(d, cfg.Clock)
	}
	return iaas.WithLimit(iaas.WithRetry(d, iaas.RetryPolicy{Logger: cfg.Logger}), 32)
}

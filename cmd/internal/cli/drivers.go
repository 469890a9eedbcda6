package cli

import (
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
	"github.com/cloudinitd/cloudinitd/iaas/local"
)

// Drivers builds the registry of every IaaS driver the programs know. It is
// the only place that names concrete drivers.
func Drivers() *iaas.Registry {
	r := iaas.NewRegistry()
	r.Register(local.Name, local.Factory)
	r.Register(fake.Name, fake.Factory)
	return r
}

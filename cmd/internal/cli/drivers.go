package cli

import (
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/ec2"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
	"github.com/cloudinitd/cloudinitd/iaas/local"
	"github.com/cloudinitd/cloudinitd/plan"
)

// Drivers builds the registry of every IaaS driver the programs know: each
// driver's entry carries its factory, aliases, wrapping policy and the
// values it serves (EC2: regions; with iaas_url, any value). It is the
// only place that names concrete drivers. An iaas value no entry serves is
// an error of class iaas.ErrUnknownDriver (Registry.Resolve);
// Registry.Known says so without opening anything.
func Drivers() *iaas.Registry {
	r := iaas.NewRegistry()
	r.Register(local.Entry())
	r.Register(fake.Entry())
	r.Register(ec2.Entry())
	return r
}

// PlanIaaS is what plan.Load checks a plan's iaas values against: the
// registry's names and aliases, and whatever it resolves (Registry.Resolve:
// EC2 regions; with iaas_url, any value).
func PlanIaaS(r *iaas.Registry) *plan.IaaS {
	return &plan.IaaS{Names: r.Values(), Known: func(value string, endpoint bool) bool {
		_, err := r.Resolve(iaas.Selector{Value: value, Endpoint: endpoint})
		return err == nil
	}}
}

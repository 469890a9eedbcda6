package drivers

import (
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/ec2"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
	"github.com/cloudinitd/cloudinitd/iaas/local"
	"github.com/cloudinitd/cloudinitd/plan"
)

// Registry builds the registry of every IaaS driver the programs know: each
// driver's entry carries its factory, aliases, wrapping policy and the
// values it serves (EC2: regions; with iaas_url, any value). An iaas value
// no entry serves is an error of class iaas.ErrUnknownDriver
// (Registry.Resolve); Registry.Known says so without opening anything.
// Each call returns a new registry: nothing is shared between callers.
func Registry() *iaas.Registry {
	r := iaas.NewRegistry()
	r.Register(local.Entry())
	r.Register(fake.Entry())
	r.Register(ec2.Entry())
	return r
}

// Open opens the driver that serves sel in r (Registry.Resolve) with cfg
// and wraps it as its entry says (Registry.Wrap: retries, concurrency and
// rate limits), as cloudinitd opens the drivers of its services. An iaas
// value that names no driver wraps iaas.ErrUnknownDriver. Each call opens
// a new driver: a caller keeps the one it opened for each cloud.
func Open(r *iaas.Registry, sel iaas.Selector, cfg iaas.Config) (iaas.Driver, error) {
	name, err := r.Resolve(sel)
	if err != nil {
		return nil, err
	}
	d, err := r.Open(name, cfg)
	if err != nil {
		return nil, err
	}
	return r.Wrap(d, cfg), nil
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

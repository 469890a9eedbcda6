package provisioner

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// drivers opens and keeps the wrapped drivers of the deployable types, one
// per registry name, and tells scoped drivers (ec2) where workers live.
type drivers struct {
	reg *iaas.Registry
	cfg iaas.Config
	log *slog.Logger

	mu     sync.Mutex
	byName map[string]iaas.Driver
	scoped map[string]bool // driver, region, endpoint told with AddScope
}

func newDrivers(reg *iaas.Registry, cfg Config, clock iaas.Clock, log *slog.Logger) (*drivers, error) {
	d := &drivers{reg: reg, log: log, byName: map[string]iaas.Driver{}, scoped: map[string]bool{},
		cfg: iaas.Config{StateDir: cfg.IaaSStateDir, Logger: log, Clock: clock}}
	for name, dt := range cfg.DeployableTypes {
		if _, err := reg.Resolve(iaas.Selector{Value: dt.IaaS, Endpoint: dt.IaaSURL != ""}); err != nil {
			return nil, fmt.Errorf("provisioner config: deployable_types.%s.iaas: %w", name, err)
		}
	}
	return d, nil
}

// resolve returns the registry name of the driver serving site.
func (d *drivers) resolve(site, endpoint string) (string, error) {
	return d.reg.Resolve(iaas.Selector{Value: site, Endpoint: endpoint != ""})
}

// get returns the wrapped driver registered as name, opening it once.
func (d *drivers) get(name string) (iaas.Driver, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if drv, ok := d.byName[name]; ok {
		return drv, nil
	}
	bare, err := d.reg.Open(name, d.cfg)
	if err != nil {
		return nil, err
	}
	drv := d.reg.Wrap(bare, d.cfg)
	d.byName[name] = drv
	return drv, nil
}

// scope tells drv where spec's instances live (iaas.ScopeAdder), once per
// region and endpoint; a failure is logged, the cloud call that follows
// reports it.
func (d *drivers) scope(drv iaas.Driver, spec iaas.LaunchSpec) {
	sa, ok := iaas.As[iaas.ScopeAdder](drv)
	if !ok {
		return
	}
	key := strings.Join([]string{drv.Name(), spec.Region, spec.Endpoint}, "\x00")
	d.mu.Lock()
	done := d.scoped[key]
	d.scoped[key] = true
	d.mu.Unlock()
	if done {
		return
	}
	if err := sa.AddScope(spec); err != nil {
		d.log.Warn("driver scope", "driver", drv.Name(), "region", spec.Region, "error", err)
	}
}

// all returns the drivers of every deployable type, opened.
func (d *drivers) all(types map[string]DeployableType) (map[string]iaas.Driver, error) {
	out := map[string]iaas.Driver{}
	for _, dt := range types {
		name, err := d.resolve(dt.IaaS, dt.IaaSURL)
		if err != nil {
			return nil, err
		}
		drv, err := d.get(name)
		if err != nil {
			return nil, err
		}
		out[name] = drv
	}
	return out, nil
}

package provisioner

import (
	"context"
	"log/slog"
	"testing"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
)

// TestSiteAllocationOverride: a request's site and allocation override
// the deployable type's iaas and allocation: the node records them and is
// launched on the driver serving the site (here an alias of the fake
// driver); without them the type's are used.
func TestSiteAllocationOverride(t *testing.T) {
	h := newHarness(t, nil)
	reg := iaas.NewRegistry()
	e := fake.Entry()
	e.Aliases = []string{"fake-east"}
	reg.Register(e)
	p, err := New(h.cfg, Deps{Registry: reg, Clock: h.clock, Contextualizer: DryRunContextualizer{},
		Logger: slog.New(slog.NewJSONHandler(h.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	res, err := p.Provision(ctx, epu.ProvisionRequest{LaunchID: "l1", DeployableType: "sleeper", NodeIDs: []string{"a"},
		Site: "fake-east", Allocation: "large"})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := p.Provision(ctx, epu.ProvisionRequest{LaunchID: "l2", DeployableType: "sleeper", NodeIDs: []string{"b"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		got              epu.Node
		site, allocation string
	}{{res.Nodes[0], "fake-east", "large"}, {plain.Nodes[0], "fake", "small"}} {
		if c.got.Site != c.site || c.got.Allocation != c.allocation {
			t.Errorf("node %s: site %q allocation %q, want %q %q", c.got.NodeID, c.got.Site, c.got.Allocation, c.site, c.allocation)
		}
	}
	n, _ := p.store.Node(ctx, "a")
	l, _ := p.store.Launch(ctx, "l1")
	spec := p.spec(l, n, h.cfg.DeployableTypes["sleeper"])
	if n.Driver != "fake" || spec.Region != "fake-east" || spec.Allocation != "large" || spec.Owner != "provisioner" ||
		spec.Run != testRun || spec.Tags[TagNode] != "a" || spec.Tags[TagLaunch] != "l1" || spec.ClientToken != n.ClientToken {
		t.Errorf("launch spec of a: driver %q %+v", n.Driver, spec)
	}
}

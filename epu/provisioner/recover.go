package provisioner

import (
	"context"
	"slices"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/iaas"
)

// recover runs once when the provisioner starts (reference §5.2 10): it
// adopts or reaps the run's workers its records do not hold (adopt.go),
// re-executes REQUESTED launches (their nodes keep their client tokens, so
// a launch the last process made is answered with its instance, never a
// second one), wakes the terminator for TERMINATING nodes and launches,
// and queries at once, which contextualizes STARTED nodes again.
func (p *Provisioner) recover(ctx context.Context) {
	if err := p.adoptOrReap(ctx); err != nil && ctx.Err() == nil {
		p.log.Warn("adoption", "error", err)
	}
	launches, err := p.store.Launches(ctx)
	if err != nil {
		p.log.Error("recover", "error", err)
		return
	}
	for _, l := range launches {
		if l.State == epu.Requested {
			p.log.Info("recover: re-executing launch", "launch_id", l.LaunchID)
			p.goWork(func(ctx context.Context) { p.execute(ctx, l.LaunchID) })
		}
	}
	p.wake()
	if err := p.Query(ctx); err != nil && ctx.Err() == nil {
		p.log.Warn("query", "error", err)
	}
}

// adoptOrReap looks, on the driver of every deployable type, for the
// run's instances this provisioner owns (iaas.RunFinder: run id and owner
// = its service) that no record holds (by client token or instance id),
// as after its host was replaced and its state lost. An instance whose
// tags name a launch, a node without a record and a known deployable type
// is adopted: its launch and node are recorded from the tags and the
// cloud's view (event node_adopted). Any other is terminated (event
// node_reaped, with why): no record can own it.
func (p *Provisioner) adoptOrReap(ctx context.Context) error {
	drvs, err := p.drivers.all(p.cfg.DeployableTypes)
	if err != nil {
		return err
	}
	for _, name := range slicesSorted(drvs) {
		drv := drvs[name]
		rf, ok := iaas.As[iaas.RunFinder](drv)
		if !ok {
			p.log.Warn("adoption: the driver cannot list the run's instances (no iaas.RunFinder); workers a lost state launched are not looked for", "driver", name)
			continue
		}
		insts, err := rf.FindByRun(ctx, p.cfg.Run)
		if err != nil {
			return err
		}
		if err := p.adoptFrom(ctx, name, drv, insts); err != nil {
			return err
		}
	}
	return nil
}

func (p *Provisioner) adoptFrom(ctx context.Context, name string, drv iaas.Driver, insts []iaas.Instance) error {
	nodes, err := p.store.Nodes(ctx) // read after the listing: every listed instance's intent is in it
	if err != nil {
		return err
	}
	known := map[string]bool{}
	nodeIDs := map[string]bool{}
	for _, n := range nodes {
		known[n.ClientToken], known[n.IaaSID], nodeIDs[n.NodeID] = true, true, true
	}
	delete(known, "")
	adopt := map[string][]iaas.Instance{} // launch id -> instances
	var reap []iaas.Instance
	var why []string
	for _, in := range insts {
		if !p.cfg.Run.Claims(in, nil) || in.Owner != p.cfg.Service || in.State.Final() || known[in.ClientToken] || known[in.ID] {
			continue
		}
		lid, nid, dt := in.Tags[TagLaunch], in.Tags[TagNode], in.Tags[TagDeployableType]
		_, typeOK := p.cfg.DeployableTypes[dt]
		switch {
		case lid == "" || nid == "":
			reap, why = append(reap, in), append(why, "no launch_id or node_id tag")
		case !typeOK:
			reap, why = append(reap, in), append(why, "unknown deployable type "+dt)
		case nodeIDs[nid]:
			reap, why = append(reap, in), append(why, "node "+nid+" is recorded with another instance")
		default:
			nodeIDs[nid] = true
			adopt[lid] = append(adopt[lid], in)
		}
	}
	for lid, ins := range adopt {
		if err := p.adoptLaunch(ctx, name, lid, ins); err != nil {
			return err
		}
	}
	for i, in := range reap {
		if err := drv.Terminate(ctx, iaas.Ref{ID: in.ID, Handle: in.Handle}); err != nil {
			return err
		}
		p.event(ctx, evNodeReaped, "iaas_id", in.ID, "node_id", in.Tags[TagNode], "launch_id", in.Tags[TagLaunch], "why", why[i])
	}
	return nil
}

// adoptLaunch records instances found by tag as the nodes of launch lid.
func (p *Provisioner) adoptLaunch(ctx context.Context, driver, lid string, ins []iaas.Instance) error {
	if _, err := p.store.Launch(ctx, lid); err == nil {
		// The launch is recorded but not these nodes: they cannot be
		// added to it (its node list is the request's); reap them.
		for _, in := range ins {
			if err := p.reapOne(ctx, driver, in, "launch "+lid+" is recorded without this node"); err != nil {
				return err
			}
		}
		return nil
	}
	now := p.clock.Now()
	dt := ins[0].Tags[TagDeployableType]
	l := launchRec{Launch: epu.Launch{LaunchID: lid, DeployableType: dt, State: epu.Pending,
		StateDesc:   "ADOPTED: found by tag after the provisioner's state was lost",
		Subscribers: parseSubscribersTag(ins[0].Tags[TagSubscribers])}, Created: now}
	var nodes []nodeRec
	for i, in := range ins {
		l.NodeIDs = append(l.NodeIDs, in.Tags[TagNode])
		n := nodeRec{Index: i, Driver: driver, Cloud: cloudLive, Handle: in.Handle, Node: epu.Node{
			NodeID: in.Tags[TagNode], LaunchID: lid, DeployableType: dt, Site: p.cfg.DeployableTypes[dt].IaaS,
			Allocation: p.cfg.DeployableTypes[dt].Allocation, ClientToken: in.ClientToken, IaaSID: in.ID,
			Hostname: in.Hostname, PublicIP: in.PublicIP, PrivateIP: in.PrivateIP, PendingTime: now}}
		n.setState(epu.Pending, "ADOPTED", now)
		if st, _ := mapState(in); st == epu.Started {
			n.setState(epu.Started, "ADOPTED", now)
		}
		nodes = append(nodes, n)
	}
	if err := p.store.CreateLaunch(ctx, l, nodes); err != nil {
		return err
	}
	for _, n := range nodes {
		p.nodeEvent(ctx, evNodeAdopted, n.Node)
		p.pushAll(l.Subscribers, n)
	}
	return nil
}

func (p *Provisioner) reapOne(ctx context.Context, driver string, in iaas.Instance, why string) error {
	drv, err := p.drivers.get(driver)
	if err != nil {
		return err
	}
	if err := drv.Terminate(ctx, iaas.Ref{ID: in.ID, Handle: in.Handle}); err != nil {
		return err
	}
	p.event(ctx, evNodeReaped, "iaas_id", in.ID, "node_id", in.Tags[TagNode], "launch_id", lidOf(in), "why", why)
	return nil
}

func lidOf(in iaas.Instance) string { return in.Tags[TagLaunch] }

func slicesSorted[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

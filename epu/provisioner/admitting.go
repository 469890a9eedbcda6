package provisioner

import "github.com/cloudinitd/cloudinitd/epu"

// admission is a provision request between its decision and the commit
// of its records: its launch and nodes are decided (admitted or refused)
// but not yet in the store. Provision decides under provMu and writes
// after letting it go, so that concurrent requests' records share the
// store's transactions instead of taking one commit each, one after the
// other. What the decision of the next request must still see of this
// one, the provisioner keeps here (provMu guards the set):
//
//   - its nodes, for max_nodes (the store counts them once the launch is
//     in it: CountLiveWith);
//   - its launch id, so that the same launch asked again waits and
//     answers what this one stored;
//   - its node ids, so that another launch naming one is refused.
//
// terminate_all is not done while a REQUESTED launch is being stored
// (remaining): it may get instances.
type admission struct {
	nodes []string
	live  int           // its nodes that may get an instance: all when REQUESTED, else none
	done  chan struct{} // closed once its records are committed, or the write failed
}

// admit1 registers l as being stored (provMu held).
func (p *Provisioner) admit1(l launchRec, nodes []nodeRec) *admission {
	a := &admission{nodes: l.NodeIDs, done: make(chan struct{})}
	if l.State == epu.Requested {
		a.live = len(nodes)
	}
	p.admitting[l.LaunchID] = a
	return a
}

// admitted ends a's registration once its write returned: the records
// are in the store's image (a committed write is visible when the call
// returns) or were not written.
func (p *Provisioner) admitted(launchID string, a *admission) {
	p.provMu.Lock()
	delete(p.admitting, launchID)
	p.provMu.Unlock()
	close(a.done)
}

// admittingLive is the launches being stored with the nodes of each that
// may get an instance (provMu held).
func (p *Provisioner) admittingLive() map[string]int {
	out := make(map[string]int, len(p.admitting))
	for id, a := range p.admitting {
		if a.live > 0 {
			out[id] = a.live
		}
	}
	return out
}

// admittingNode is the launch being stored with node id, "" for none
// (provMu held).
func (p *Provisioner) admittingNode(id string) string {
	for lid, a := range p.admitting {
		for _, n := range a.nodes {
			if n == id {
				return lid
			}
		}
	}
	return ""
}

// storingLive counts the nodes of launches being stored that may get an
// instance.
func (p *Provisioner) storingLive() int {
	p.provMu.Lock()
	defer p.provMu.Unlock()
	n := 0
	for _, a := range p.admitting {
		n += a.live
	}
	return n
}

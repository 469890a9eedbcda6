package provisioner

import (
	"maps"
	"slices"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
)

// cloudState is what the provisioner knows of a node's instance, apart
// from the node's state: whether one may exist in the cloud.
type cloudState string

const (
	cloudNone   cloudState = ""       // no launch call made, or the cloud refused it: no instance
	cloudIntent cloudState = "intent" // launch intent recorded, no answer recorded: an instance may exist
	cloudLive   cloudState = "live"   // the cloud gave an instance id; not known gone
	cloudGone   cloudState = "gone"   // terminated, or absent from the cloud
)

// mayExist reports whether an instance of the node may still exist.
func (c cloudState) mayExist() bool { return c == cloudIntent || c == cloudLive }

// nodeRec is a node as the store keeps it: the record subscribers see,
// and what the provisioner needs to reach its instance again.
type nodeRec struct {
	epu.Node
	Index  int        `json:"index"`            // position in its launch
	Cloud  cloudState `json:"cloud,omitempty"`  // whether an instance may exist
	Driver string     `json:"driver,omitempty"` // the registry name of its driver
	Handle []byte     `json:"handle,omitempty"` // the driver's handle of its instance
}

// launchRec is a launch as the store keeps it.
type launchRec struct {
	epu.Launch
	Site       string            `json:"site,omitempty"`
	Allocation string            `json:"allocation,omitempty"`
	Vars       map[string]string `json:"vars,omitempty"`
	Created    time.Time         `json:"created"`
}

// setState moves n to s (with why) at now when s is after n's state, and
// records the change; it reports whether it moved. A state that is not
// after the current one is ignored: records only move forward.
func (n *nodeRec) setState(s epu.State, why string, now time.Time) bool {
	if !s.After(n.State) {
		return false
	}
	n.State, n.StateDesc, n.StateTime = s, why, now
	n.StateChanges = append(n.StateChanges, epu.StateChange{State: s, Time: now})
	return true
}

// setState moves l to s when s is after l's state.
func (l *launchRec) setState(s epu.State, why string) bool {
	if !s.After(l.State) {
		return false
	}
	l.State, l.StateDesc = s, why
	return true
}

// public is the record as the API answers and subscribers receive it:
// vars named like secrets removed (none are accepted; this keeps the
// promise for records made by older versions or adoption).
func (n nodeRec) public() epu.Node {
	out := n.Node
	out.Vars = publicVars(n.Vars)
	out.StateChanges = slices.Clone(n.StateChanges)
	return out
}

// clone is a deep copy of n.
func (n nodeRec) clone() nodeRec {
	n.Vars = maps.Clone(n.Vars)
	n.StateChanges = slices.Clone(n.StateChanges)
	n.Handle = slices.Clone(n.Handle)
	return n
}

// nodeView is the part of a node the query loop reads for every node each
// period, without the history and vars.
type nodeView struct {
	NodeID      string
	State       epu.State
	Cloud       cloudState
	Driver      string
	IaaSID      string
	Handle      []byte
	PendingTime time.Time
	Hostname    string
	PublicIP    string
	PrivateIP   string
}

// viewOf is n's nodeView (its own copy of the handle).
func (n *nodeRec) viewOf() nodeView {
	return nodeView{NodeID: n.NodeID, State: n.State, Cloud: n.Cloud, Driver: n.Driver, IaaSID: n.IaaSID,
		Handle: slices.Clone(n.Handle), PendingTime: n.PendingTime, Hostname: n.Hostname, PublicIP: n.PublicIP, PrivateIP: n.PrivateIP}
}

package provisioner

import (
	"context"
	"log/slog"

	"github.com/cloudinitd/cloudinitd/epu"
)

// Events are JSON lines on the injected logger: msg and the attribute
// "event" hold one of these unique keys, with node_id, launch_id,
// iaas_id, addresses and state where they apply (docs/epu-api.md lists
// them).
const (
	evNewNode         = "new_node"         // the cloud accepted a node's launch (PENDING)
	evNodeStarted     = "node_started"     // the cloud says it runs (STARTED)
	evNodeRunning     = "node_running"     // contextualized (RUNNING)
	evNodeCtxFailed   = "node_ctx_failed"  // contextualization failed (RUNNING_FAILED)
	evNodeTerminating = "node_terminating" // termination requested
	evNodeTerminated  = "node_terminated"  // gone from the cloud
	evNodeFailed      = "node_failed"      // failed (the reason in state_desc)
	evNodeRejected    = "node_rejected"    // refused (disabled, max_nodes)
	evLaunchFailed    = "launch_failed"    // a launch failed
	evLaunchRunning   = "launch_running"   // every node of a launch is RUNNING
	evNodeAdopted     = "node_adopted"     // a worker found by tag, taken back into the records
	evNodeReaped      = "node_reaped"      // a worker found by tag that no record can own, terminated
	evBackoff         = "launch_backoff"   // launches of a type on a site wait after a capacity/throttle error
	evPushDropped     = "push_dropped"     // a subscriber's queue was full: its oldest record dropped
	evSubscriberMoved = "subscriber_moved" // dump_state's force_subscribe gave a launch's subscriber a new URL
)

// event writes one event line.
func (p *Provisioner) event(ctx context.Context, name string, attrs ...any) {
	p.log.InfoContext(ctx, name, append([]any{"event", name}, attrs...)...)
}

// nodeEvent writes an event about a node with its identity and addresses.
func (p *Provisioner) nodeEvent(ctx context.Context, name string, n epu.Node) {
	p.event(ctx, name, slog.String("node_id", n.NodeID), slog.String("launch_id", n.LaunchID),
		slog.String("iaas_id", n.IaaSID), slog.String("public_ip", n.PublicIP),
		slog.String("private_ip", n.PrivateIP), slog.String("hostname", n.Hostname),
		slog.String("state", string(n.State)), slog.String("state_desc", n.StateDesc))
}

// stateEvent is the event of reaching s, "" for none.
func stateEvent(s epu.State) string {
	switch s {
	case epu.Pending:
		return evNewNode
	case epu.Started:
		return evNodeStarted
	case epu.Running:
		return evNodeRunning
	case epu.RunningFailed:
		return evNodeCtxFailed
	case epu.Terminating:
		return evNodeTerminating
	case epu.Terminated:
		return evNodeTerminated
	case epu.Failed:
		return evNodeFailed
	case epu.Rejected:
		return evNodeRejected
	}
	return ""
}

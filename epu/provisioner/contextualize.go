package provisioner

import (
	"context"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/iaas"
)

// Contextualizer makes a worker whose instance runs useful: cloudinitd's
// service pipeline for its deployable type (SSH, bootconf upload, bootpgm,
// readypgm). The provisioner calls it once a node is STARTED.
//
// Contextualize returns nil once the worker is ready (its ready program
// passed): the node becomes 600-RUNNING. An error says why not: the node
// becomes 650-RUNNING_FAILED with "CTX_ERROR: <error>". It returns promptly
// when ctx ends (the provisioner's context_timeout, or shutdown; a node
// whose contextualization was cut by shutdown is contextualized again at
// the next start). It may be called again for a node after a restart, so
// it must be safe to re-run on the same instance. node never carries a
// secret; inst is the driver's current view (addresses, SSH endpoint).
type Contextualizer interface {
	Contextualize(ctx context.Context, node epu.Node, inst iaas.Instance, dt DeployableType) error
}

// DryRunContextualizer is the dry run of contextualization: every worker
// is ready at once, nothing runs on it. Tests and the bench use it; a
// real provisioner uses the service pipeline.
type DryRunContextualizer struct{}

// Contextualize succeeds at once.
func (DryRunContextualizer) Contextualize(ctx context.Context, _ epu.Node, _ iaas.Instance, _ DeployableType) error {
	return ctx.Err()
}

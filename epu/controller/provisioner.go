package controller

import (
	"context"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// Provisioner is what the controller asks of the provisioner; the
// provisioner package's Client is one. Every call is idempotent (provision
// by launch id), so a call whose answer was lost is sent again.
type Provisioner interface {
	// Provision asks for the launch of req.NodeIDs.
	Provision(ctx context.Context, req epu.ProvisionRequest) error
	// TerminateNodes asks for the termination of nodes by id.
	TerminateNodes(ctx context.Context, ids []string) error
	// DumpState asks the provisioner to push the latest record of each
	// node to its subscribers and to req.ForceSubscribe.
	DumpState(ctx context.Context, req epu.DumpStateRequest) error
}

// Engines makes decision engines by name; *engine.Registry is one.
type Engines interface {
	// New returns a fresh engine of that name, or an error naming the
	// engines it knows.
	New(name string) (engine.Engine, error)
}

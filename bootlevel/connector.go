package bootlevel

import (
	"github.com/cloudinitd/cloudinitd/pipeline"
	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/store"
)

// The connectors are package pipeline's; the engine's names stay.
type (
	// Target is how to reach the host of one service (pipeline.Target).
	Target = pipeline.Target
	// Connector gives executors for service hosts (pipeline.Connector).
	Connector = pipeline.Connector
	// SSHConnector reaches hosts over SSH (pipeline.SSHConnector).
	SSHConnector = pipeline.SSHConnector
	// DryRunConnector is the fake connector of --dryrun
	// (pipeline.DryRunConnector).
	DryRunConnector = pipeline.DryRunConnector
)

// NewSSHConnector returns a connector whose host keys live in the run
// record: each service's row (store.DB.HostKey, SetHostKey), recorded on
// first contact and checked on every later connection, by this process or
// a later one. opts.HostKeys is replaced by the record.
func NewSSHConnector(db *store.DB, opts remote.SSHOptions) *SSHConnector {
	return pipeline.NewSSHConnector(db, opts)
}

var _ pipeline.KeyStore = (*store.DB)(nil)

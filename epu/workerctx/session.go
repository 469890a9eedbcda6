package workerctx

import (
	"context"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/provisioner"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/pipeline"
	"github.com/cloudinitd/cloudinitd/remote"
)

// session is a connection to a worker after its boot (its shutdown
// program, a log fetch): the worker's values, its service, its stage
// directory and an executor over SSH checked against the pinned host key.
type session struct {
	w     *worker
	svc   pipeline.Service
	stage string
	ex    remote.Executor
	conn  *pipeline.SSHConnector
}

// open connects to the worker of node on inst. A failure to connect is a
// connect step error, secrets masked. The caller closes the session.
func (c *Contextualizer) open(ctx context.Context, node epu.Node, inst iaas.Instance, dt provisioner.DeployableType) (*session, error) {
	if c.keys == nil {
		return nil, ErrNoHostKeys
	}
	w, err := newWorker(c, node, inst, dt)
	if err != nil {
		return nil, err
	}
	svc := w.service()
	conn := pipeline.NewSSHConnector(c.keys, c.cfg.SSH)
	conn.PortWait = c.cfg.PortWait
	pl := pipeline.PlaceOf(inst)
	t, err := pipeline.NewTarget(svc.Name, svc.Settings, svc.Attrs, pl, true)
	if err == nil {
		var ex remote.Executor
		if ex, err = conn.Connect(ctx, t); err == nil {
			return &session{w: w, svc: svc, stage: pipeline.StageDir(svc.Name, svc.Settings, pl, nil), ex: ex, conn: conn}, nil
		}
	}
	conn.Close()
	return nil, w.secrets.maskError(&pipeline.StepError{Step: pipeline.StepConnect, Err: err})
}

// Close closes the executor and the connection.
func (s *session) Close() {
	s.ex.Close()
	s.conn.Close()
}

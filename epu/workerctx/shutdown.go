package workerctx

import (
	"context"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/provisioner"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/pipeline"
	"github.com/cloudinitd/cloudinitd/remote"
)

var _ provisioner.ShutdownRunner = (*Contextualizer)(nil)

// ShutdownCommand is CLOUDINITD_COMMAND for a worker's terminatepgm.
const ShutdownCommand = "terminate"

// RunShutdown runs the deployable type's terminatepgm on the worker,
// before the provisioner terminates it (provisioner.ShutdownRunner): over
// SSH with the pinned host key, in the worker's stage directory (where
// its bootconf.json and bootenv.sh are), with CLOUDINITD_COMMAND=terminate.
// A type without one does nothing. An error names the step
// (terminatepgm: ...), secrets masked; the provisioner bounds it with its
// shutdown_timeout.
func (c *Contextualizer) RunShutdown(ctx context.Context, node epu.Node, inst iaas.Instance, dt provisioner.DeployableType) error {
	if dt.TerminatePgm == "" {
		return nil
	}
	ss, err := c.open(ctx, node, inst, dt)
	if err != nil {
		return err
	}
	defer ss.Close()
	w, svc, ex, stage := ss.w, ss.svc, ss.ex, ss.stage
	env := map[string]string{}
	for k, v := range c.env {
		env[k] = v
	}
	env["CLOUDINITD_COMMAND"] = ShutdownCommand
	lex := pipeline.LoggedExecutor(ex, svc.Log, pipeline.StepTerminatePgm, nil)
	svc.State.Step(ctx, pipeline.StepTerminatePgm, "")
	p, err := pipeline.Program(svc, "terminatepgm", stage, env)
	if err == nil {
		err = lex.Prepare(ctx, stage)
	}
	if err == nil {
		_, err = remote.RunProgram(ctx, lex, p)
	}
	if err != nil {
		return w.secrets.maskError(&pipeline.StepError{Step: pipeline.StepTerminatePgm, Err: err})
	}
	return nil
}

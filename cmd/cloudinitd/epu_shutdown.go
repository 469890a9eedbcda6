package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/provisioner"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/remote"
)

var _ provisioner.ShutdownRunner = (*workerContextualizer)(nil)

// RunShutdown runs the deployable type's terminatepgm on the worker, in
// the node's stage directory (where its bootconf and bootenv.sh are),
// before the provisioner terminates it: for a worker with an agent,
// typically a script running 'epu node run_shutdown_hooks'
// (docs/agent.md). The provisioner bounds it with shutdown_timeout.
func (w *workerContextualizer) RunShutdown(ctx context.Context, node epu.Node, inst iaas.Instance, dt provisioner.DeployableType) error {
	if dt.TerminatePgm == "" {
		return nil
	}
	t, err := workerTarget(inst, dt)
	if err != nil {
		return err
	}
	ex, err := w.pool.Get(ctx, t)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", t.Host, err)
	}
	defer ex.Close()
	pgm := dt.TerminatePgm
	if !filepath.IsAbs(pgm) {
		pgm = filepath.Join(w.dir, pgm)
	}
	stage := remote.StageDir(remote.WorkDir(inst.WorkDir, nil), node.NodeID)
	var out bytes.Buffer
	res, err := remote.RunProgram(ctx, ex, remote.Program{Path: pgm, StageDir: stage, Stdout: &out, Stderr: &out})
	w.log.Debug("worker program", "event", "worker_program", "node_id", node.NodeID, "step", "terminatepgm", "exit_status", res.ExitStatus)
	if err != nil {
		return fmt.Errorf("terminatepgm: %w%s", err, outputTail(out.String()))
	}
	return nil
}

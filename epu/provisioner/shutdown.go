package provisioner

import (
	"context"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/iaas"
)

// ShutdownRunner is an optional ability of a Contextualizer: it runs a
// worker's shutdown program (its deployable type's terminatepgm, for
// example 'epu node run_shutdown_hooks', which runs the scripts the node
// registered with 'epu node run_on_shutdown') on the worker before the
// provisioner terminates its instance. It returns promptly when ctx ends.
type ShutdownRunner interface {
	RunShutdown(ctx context.Context, node epu.Node, inst iaas.Instance, dt DeployableType) error
}

// shutdownLimit bounds the shutdown programs run at once.
const shutdownLimit = 16

// runShutdownPrograms runs, before their instances are terminated, the
// shutdown program of each node of ns that is TERMINATING with a running
// instance and whose deployable type names one, all within
// shutdown_timeout. A failure (or the timeout) is logged and the
// termination goes on. A pass retried after a failed termination runs
// them again: shutdown programs must bear that.
func (p *Provisioner) runShutdownPrograms(ctx context.Context, drv iaas.Driver, ns []nodeRec) {
	sr, ok := p.ctxz.(ShutdownRunner)
	if !ok || drv == nil {
		return
	}
	byID := map[string]nodeRec{}
	var refs []iaas.Ref
	for _, n := range ns {
		if n.Cloud == cloudLive && n.State == epu.Terminating && p.cfg.DeployableTypes[n.DeployableType].TerminatePgm != "" {
			byID[n.IaaSID] = n
			refs = append(refs, iaas.Ref{ID: n.IaaSID, Handle: n.Handle})
		}
	}
	if len(refs) == 0 {
		return
	}
	insts, err := drv.Describe(ctx, refs...)
	if err != nil {
		p.log.Warn("shutdown programs not run: describe failed", "event", "shutdown_program_failed", "error", err.Error())
		return
	}
	timeout := p.cfg.ShutdownTimeout.D()
	var g errgroup.Group
	g.SetLimit(shutdownLimit)
	for _, inst := range insts {
		n, ok := byID[inst.ID]
		if !ok || inst.State != iaas.StateRunning {
			continue
		}
		g.Go(func() error {
			sctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			start := time.Now()
			err := sr.RunShutdown(sctx, n.public(), inst, p.cfg.DeployableTypes[n.DeployableType])
			if err != nil {
				p.log.Warn("shutdown program failed; terminating anyway", "event", "shutdown_program_failed", "node_id", n.NodeID,
					"iaas_id", inst.ID, "timeout", timeout.String(), "error", err.Error())
				return nil
			}
			p.log.Info("shutdown program ran", "event", "shutdown_program", "node_id", n.NodeID, "iaas_id", inst.ID,
				"took", time.Since(start).Round(time.Millisecond).String())
			return nil
		})
	}
	_ = g.Wait() // every goroutine returns nil: failures are logged
}

package provisioner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/iaas"
)

// LogFetcher is an optional ability of a Contextualizer: it writes a
// worker's log files as a tar stream to w (its deployable type's log_dir,
// else the *.log and *.out files of its stage directory), over SSH with
// the worker's key and pinned host key, at most MaxLogBytes of content.
// It returns promptly when ctx ends.
type LogFetcher interface {
	FetchLogs(ctx context.Context, node epu.Node, inst iaas.Instance, dt DeployableType, w io.Writer) error
}

// MaxLogBytes bounds the content of one worker's logs (the files beyond
// it are left out); LogTimeout bounds one fetch, under the 30 seconds
// epu ctl and epumgmt give a call, so the caller gets the error.
const (
	MaxLogBytes = 64 << 20
	LogTimeout  = 25 * time.Second
)

// ErrNoLogFetcher: the provisioner's contextualizer cannot fetch logs.
var ErrNoLogFetcher = errors.New("the provisioner's contextualizer cannot fetch workers' logs")

// WorkerLogs writes the logs of node nodeID's worker as a tar stream to w
// (LogFetcher). An unknown node is a 404 naming it; a node whose instance
// is not running (terminated, terminating, failed, not launched yet) a
// 409 saying its state.
func (p *Provisioner) WorkerLogs(ctx context.Context, nodeID string, w io.Writer) error {
	lf, ok := p.ctxz.(LogFetcher)
	if !ok {
		return api.Unavailable("%v", ErrNoLogFetcher)
	}
	n, err := p.store.Node(ctx, nodeID)
	if errors.Is(err, ErrNotFound) {
		return api.NotFound("node_id", "unknown node %q", nodeID)
	}
	if err != nil {
		return err
	}
	if !n.State.Before(epu.Terminating) || n.Cloud != cloudLive {
		return api.Conflict("node %q is %s: no running instance to fetch logs from", nodeID, n.State)
	}
	drv, err := p.drivers.get(n.Driver)
	if err != nil {
		return err
	}
	insts, err := drv.Describe(ctx, iaas.Ref{ID: n.IaaSID, Handle: n.Handle})
	if err != nil {
		return fmt.Errorf("node %q: describe instance %s: %w", nodeID, n.IaaSID, err)
	}
	if len(insts) != 1 || insts[0].Err != nil || insts[0].State != iaas.StateRunning {
		return api.Conflict("node %q: instance %s is not running", nodeID, n.IaaSID)
	}
	ctx, cancel := context.WithTimeout(ctx, LogTimeout)
	defer cancel()
	if err := lf.FetchLogs(ctx, n.public(), insts[0], p.cfg.DeployableTypes[n.DeployableType], w); err != nil {
		return fmt.Errorf("node %q: fetch its logs: %w", nodeID, err)
	}
	return nil
}

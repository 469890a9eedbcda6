package workerctx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/provisioner"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/pipeline"
	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/verify"
)

// Config is how workers are contextualized.
type Config struct {
	// Run is the run the workers belong to (the attributes run_id and
	// run_name; the provisioner's run_id).
	Run iaas.RunID
	// RunSecret is the run's secret (the provisioner's run_secret): a
	// worker whose vars name its domain gets that domain's node token
	// (api.NodeToken) as the attribute node_token, for its agent. It is
	// never given to a worker itself.
	RunSecret string
	// Dir is where relative paths of the deployable types (bootpgm,
	// readypgm, bootconf, ssh_key) are read from: the directory of the
	// provisioner's configuration file.
	Dir string
	// SSH are the options of the connections to workers (Getenv for the
	// agent, timeouts); HostKeys is replaced by the pinned keys.
	SSH remote.SSHOptions
	// PortWait is the budget of connection attempts (verify.PortBackoff
	// when nil) and SSHWait the SSH check's (verify.SSHBackoff when nil).
	PortWait func(contextualized bool) verify.Backoff
	SSHWait  *verify.Backoff
	// StepTimeout bounds each step (default 10 minutes); the whole is
	// bounded by the provisioner's context_timeout (10 minutes by
	// default), which ends ctx.
	StepTimeout time.Duration
	// Exe is CLOUDINITD_EXE for the programs (os.Executable when empty);
	// CLOUDINITD_COMMAND is "provision".
	Exe string
	// Logger receives each step, warning and line of the programs'
	// output as JSON events (worker_step, worker_warning, worker_log),
	// secrets masked (discarded when nil).
	Logger *slog.Logger
}

// Command is CLOUDINITD_COMMAND for the programs of workers.
const Command = "provision"

// DefaultStepTimeout bounds each step when Config.StepTimeout is zero.
const DefaultStepTimeout = 10 * time.Minute

// Contextualizer contextualizes workers through the service pipeline. It
// works once the provisioner pinned its host keys (PinHostKeys, which
// provisioner.New calls). Safe for concurrent use: each worker gets its
// own connections, closed when its contextualization ends.
type Contextualizer struct {
	cfg  Config
	keys provisioner.HostKeys
	env  map[string]string
}

var (
	_ provisioner.Contextualizer = (*Contextualizer)(nil)
	_ provisioner.HostKeyPinner  = (*Contextualizer)(nil)
)

// New returns a Contextualizer with cfg, its host keys not pinned yet.
func New(cfg Config) (*Contextualizer, error) {
	if cfg.StepTimeout <= 0 {
		cfg.StepTimeout = DefaultStepTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	env := map[string]string{"CLOUDINITD_COMMAND": Command}
	exe := cfg.Exe
	if exe == "" {
		p, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("workerctx: the running program's path for CLOUDINITD_EXE: %w", err)
		}
		exe = p
	}
	env["CLOUDINITD_EXE"] = exe
	return &Contextualizer{cfg: cfg, env: env}, nil
}

// PinHostKeys returns a Contextualizer like c whose workers' host keys
// are pinned in keys (provisioner.HostKeyPinner).
func (c *Contextualizer) PinHostKeys(keys provisioner.HostKeys) provisioner.Contextualizer {
	cp := *c
	cp.keys = keys
	return &cp
}

// ErrNoHostKeys is returned by Contextualize before the host keys were
// pinned (a Contextualizer not given to provisioner.New).
var ErrNoHostKeys = errors.New("workerctx: no store to pin host keys in: give the contextualizer to provisioner.New")

// Contextualize runs the pipeline of node on inst with the deployable
// type dt: it returns once the ready program passed (at once for a type
// with no program, unless its options ask for ssh_check); an error names the
// failed step (`readypgm: exit status 3: ...`), secrets masked. Running
// it again on the same instance runs every step again (the programs must
// allow it) and checks the pinned host key.
func (c *Contextualizer) Contextualize(ctx context.Context, node epu.Node, inst iaas.Instance, dt provisioner.DeployableType) error {
	if c.keys == nil {
		return ErrNoHostKeys
	}
	w, err := newWorker(c, node, inst, dt)
	if err != nil {
		return err
	}
	conn := pipeline.NewSSHConnector(c.keys, c.cfg.SSH)
	defer conn.Close()
	conn.PortWait = c.cfg.PortWait
	p := pipeline.Pipeline{Connector: conn}
	host := pipeline.Host{Place: func(context.Context, *iaas.Instance) (pipeline.Place, error) {
		return pipeline.PlaceOf(inst), nil
	}}
	o := pipeline.Options{Boot: true, RunBoot: true, StepTimeout: c.cfg.StepTimeout, SSH: c.cfg.SSHWait, Env: c.env}
	if err := p.Run(ctx, w.service(), host, o); err != nil {
		return w.secrets.maskError(err)
	}
	return nil
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/epu/provisioner"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/verify"
)

// workerContextualizer contextualizes a provisioner's workers with the
// steps of a service's pipeline (docs/engine.md): SSH to the instance
// (the driver's endpoint, key and announced host key; the deployable
// type's ssh_user and ssh_key), `true` until it answers, the stage
// directory <work dir>/<node id>, bootconf.json filled from the bag and
// bootenv.sh (0600), the bootpgm, then the readypgm. The bag is the
// deployable type's deps, then the node's vars, then node_id, launch_id
// and hostname, and node_token when the node's vars name its domain (the
// token of that domain's workers, derived from the run's secret: the
// worker's agent carries it, docs/agent.md). A deployable type without programs is ready once its
// instance runs. Relative program paths are relative to the configuration
// file, as its other paths. (The provisioner calls it again after a restart: every
// step may run again on the same instance.)
type workerContextualizer struct {
	pool   *remote.Pool
	secret string // the run's secret, for the node tokens; never logged
	dir    string // relative program paths are relative to it: the configuration's directory
	log    *slog.Logger
}

func newWorkerContextualizer(configPath, secret string, log *slog.Logger) *workerContextualizer {
	return &workerContextualizer{pool: remote.NewPool(remote.SSHOptions{Logger: log}), secret: secret, dir: filepath.Dir(configPath), log: log}
}

// Contextualize runs the worker's programs; an error says which step
// failed (the node becomes RUNNING_FAILED with it).
func (w *workerContextualizer) Contextualize(ctx context.Context, node epu.Node, inst iaas.Instance, dt provisioner.DeployableType) error {
	if dt.BootPgm == "" && dt.ReadyPgm == "" {
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
	if err := verify.WaitSSH(ctx, ex, verify.PortBackoff(false)); err != nil {
		return fmt.Errorf("ssh check on %s: %w", t.Host, err)
	}
	stage := remote.StageDir(remote.WorkDir(inst.WorkDir, nil), node.NodeID)
	if err := ex.Prepare(ctx, stage); err != nil {
		return fmt.Errorf("prepare %s: %w", stage, err)
	}
	bag, err := workerBag(node, inst, dt, w.secret)
	if err != nil {
		return err
	}
	if dt.BootConf != "" {
		if err := uploadWorkerConf(ctx, ex, stage, dt.BootConf, bag); err != nil {
			return fmt.Errorf("bootconf: %w", err)
		}
	}
	for _, step := range []struct{ name, pgm, args string }{
		{"bootpgm", dt.BootPgm, dt.BootPgmArgs},
		{"readypgm", dt.ReadyPgm, dt.ReadyPgmArgs},
	} {
		if step.pgm == "" {
			continue
		}
		if !filepath.IsAbs(step.pgm) {
			step.pgm = filepath.Join(w.dir, step.pgm)
		}
		args, err := plan.FillTemplate(step.name+"_args", []byte(step.args), lookup(bag))
		if err != nil {
			return fmt.Errorf("%s: %w", step.name, err)
		}
		var out bytes.Buffer
		res, err := remote.RunProgram(ctx, ex, remote.Program{
			Path: step.pgm, StageDir: stage, Args: strings.Fields(string(args)),
			Stdout: &out, Stderr: &out,
		})
		w.log.Debug("worker program", "event", "worker_program", "node_id", node.NodeID, "step", step.name,
			"exit_status", res.ExitStatus)
		if err != nil {
			return fmt.Errorf("%s: %w%s", step.name, err, outputTail(out.String()))
		}
	}
	return nil
}

// workerTarget is how to reach the worker over SSH.
func workerTarget(inst iaas.Instance, dt provisioner.DeployableType) (remote.Target, error) {
	t := remote.Target{Host: inst.Hostname, User: dt.SSHUser, KeyPath: dt.SSHKey}
	if e := inst.SSH; e != nil {
		if e.Host != "" {
			t.Host = e.Host
		}
		t.Port, t.DriverKeyPath = e.Port, e.PrivateKeyPath
		if t.User == "" {
			t.User = e.User
		}
		if e.HostKey != "" {
			k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(e.HostKey))
			if err != nil {
				return t, fmt.Errorf("the host key the driver announced: %w", err)
			}
			t.HostKey = k
		}
	}
	if t.Host == "" {
		return t, fmt.Errorf("instance %s has no address yet", inst.ID)
	}
	return t, nil
}

func workerBag(node epu.Node, inst iaas.Instance, dt provisioner.DeployableType, secret string) (map[string]string, error) {
	bag := map[string]string{}
	for k, v := range dt.Deps {
		bag[k] = v
	}
	for k, v := range node.Vars {
		bag[k] = v
	}
	bag["node_id"], bag["launch_id"], bag["hostname"] = node.NodeID, node.LaunchID, inst.Hostname
	if d := node.Vars["domain"]; d != "" {
		tok, err := api.NodeToken(secret, d)
		if err != nil {
			return nil, fmt.Errorf("node token of domain %q: %w", d, err)
		}
		bag["node_token"] = tok
	}
	return bag, nil
}

func lookup(bag map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := bag[k]; return v, ok }
}

// uploadWorkerConf fills the bootconf template and uploads it with the
// bootenv.sh made from it, both 0600.
func uploadWorkerConf(ctx context.Context, ex remote.Executor, stage, conf string, bag map[string]string) error {
	tmpl, err := os.ReadFile(conf)
	if err != nil {
		return err
	}
	filled, err := plan.FillTemplate(conf, tmpl, lookup(bag))
	if err != nil {
		return err
	}
	if err := ex.Upload(ctx, path.Join(stage, "bootconf.json"), bytes.NewReader(filled), 0o600); err != nil {
		return err
	}
	env, err := plan.BootEnv(filled)
	if err != nil {
		return nil // not a JSON object: no bootenv.sh, as for a service
	}
	return ex.Upload(ctx, path.Join(stage, "bootenv.sh"), bytes.NewReader(env), 0o600)
}

// outputTail is the end of a failed program's output, for its error.
func outputTail(out string) string {
	out = strings.TrimSpace(out)
	if out == "" {
		return ""
	}
	if len(out) > 1024 {
		out = "…" + out[len(out)-1024:]
	}
	return ": " + out
}

package agent

import (
	"archive/zip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/cloudinitd/cloudinitd/epu/controller"
	"github.com/cloudinitd/cloudinitd/epu/engine"
	"github.com/cloudinitd/cloudinitd/plan"
)

// Node is what `epu node VERB` works on: the agent running on a home, and
// its controller reached with the agent's node token.
type Node struct {
	Home Home
	Cfg  Config
	ctl  *controller.Client
}

// ErrUsage is the class of errors in a verb's arguments.
var ErrUsage = errors.New("usage")

// OpenNode finds the agent running on home; without one, an ErrNoAgent
// error saying how to start one.
func OpenNode(home Home) (*Node, error) {
	cfg, err := home.Running()
	if err != nil {
		return nil, err
	}
	return &Node{Home: home, Cfg: cfg, ctl: controller.NewClient(cfg.Controller, cfg.NodeToken)}, nil
}

// ConfigValues are the values `epu node config` answers: node_id,
// instance_id, domain, controller, home and the plan values given to the
// deployable type (secret-named ones left out: the node token and such
// never reach output).
func (n *Node) ConfigValues() map[string]string {
	out := map[string]string{}
	for k, v := range n.Cfg.Values {
		if !plan.IsSecret(k) {
			out[k] = v
		}
	}
	out["node_id"], out["instance_id"], out["domain"] = n.Cfg.NodeID, n.Cfg.InstanceID, n.Cfg.Domain
	out["controller"], out["home"] = n.Cfg.Controller, string(n.Home)
	return out
}

// Config returns one value; an unknown key is an error naming the known
// ones.
func (n *Node) Config(key string) (string, error) {
	vals := n.ConfigValues()
	v, ok := vals[key]
	if !ok {
		keys := make([]string, 0, len(vals))
		for k := range vals {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return "", fmt.Errorf("config: no key %q (keys: %v)", key, keys)
	}
	return v, nil
}

// Log sends a message; an unknown level or priority is an ErrUsage error.
func (n *Node) Log(ctx context.Context, msg, level, priority string) (controller.NodeLogAnswer, error) {
	if err := CheckLog(msg, level, priority); err != nil {
		return controller.NodeLogAnswer{}, err
	}
	return n.ctl.Log(ctx, n.Cfg.Domain, controller.NodeMessage{NodeID: n.Cfg.NodeID, Message: msg, Level: level, Priority: priority})
}

// KeepAlive sets the keepalive from arg ("" an hour, a duration, or
// "forever") counted from now; a bad argument is an ErrUsage error.
func (n *Node) KeepAlive(arg string, now time.Time) (until time.Time, forever bool, err error) {
	d, forever, err := ParseKeepAlive(arg)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	until = now.Add(d)
	return until, forever, n.Home.SetKeepAlive(until, forever)
}

// Shutdown asks the controller to stop this node; the answer says
// whether it was granted. An unhealthy stop also leaves a
// scheduled_shutdown marker due now, so the agent's own verdict (and its
// heartbeats) say unhealthy too, and a controller that missed the request
// still learns it.
func (n *Node) Shutdown(ctx context.Context, unhealthy bool, now time.Time) (engine.StopAnswer, error) {
	if unhealthy {
		marker := filepath.Join(n.Home.ScheduledShutdownDir(), "shutdown-unhealthy")
		if err := writePrivate(marker, []byte(fmt.Sprintf("%d\nepu node shutdown --unhealthy\n", now.Unix()))); err != nil {
			return engine.StopAnswer{}, fmt.Errorf("shutdown: %w", err)
		}
	}
	return n.ctl.Shutdown(ctx, n.Cfg.Domain, engine.StopRequest{NodeID: n.Cfg.NodeID, Unhealthy: unhealthy})
}

// Autoscale sends an autoscale request for the node's domain.
func (n *Node) Autoscale(ctx context.Context, req engine.AutoscaleRequest) (engine.AutoscaleStatus, error) {
	return n.ctl.Autoscale(ctx, n.Cfg.Domain, req)
}

// RunOnShutdown registers a script run before the node is terminated.
func (n *Node) RunOnShutdown(script string) error { return n.Home.AddHook(script) }

// Test runs the node's ready program, its output to out; passing, it
// marks the node converged.
func (n *Node) Test(ctx context.Context, out io.Writer, timeout time.Duration) error {
	if n.Cfg.ReadyProgram == "" {
		return errors.New("test: the agent has no ready_program")
	}
	env := append(os.Environ(), HomeEnv+"="+string(n.Home), "EPU_NODE_ID="+n.Cfg.NodeID)
	r := runProgram(ctx, n.Cfg.ReadyProgram, timeout, env, out)
	if r.err != nil {
		return fmt.Errorf("test: ready program: %w", r.err)
	}
	return writePrivate(n.Home.convergedFile(), []byte(time.Now().UTC().Format(time.RFC3339)+"\n"))
}

// ReportIssue zips the agent's logs into dir (the temporary directory
// when ""), as <domain>-<node>-<random>.zip, and returns its path.
func (n *Node) ReportIssue(dir string) (string, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-%s-%s.zip", n.Cfg.Domain, n.Cfg.NodeID, hex.EncodeToString(b[:])))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("report_issue: %w", err)
	}
	zw := zip.NewWriter(f)
	root := n.Home.LogDir()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		w, err := zw.Create(filepath.ToSlash(filepath.Join("logs", rel)))
		if err != nil {
			return err
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(w, src)
		return err
	})
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", fmt.Errorf("report_issue: %w", err)
	}
	return path, nil
}

// CheckLog validates the arguments of a log message (Jetpack's rules: a
// level of info, warn or error, a priority of low, medium or high, a
// message); a bad one is an ErrUsage error. It needs no agent, so a
// script's mistake is named before the agent is looked for.
func CheckLog(msg, level, priority string) error {
	switch level {
	case "", "info", "warn", "error":
	default:
		return fmt.Errorf("%w: log: --level %q: want info, warn or error", ErrUsage, level)
	}
	switch priority {
	case "", "low", "medium", "high":
	default:
		return fmt.Errorf("%w: log: --priority %q: want low, medium or high", ErrUsage, priority)
	}
	if msg == "" {
		return fmt.Errorf("%w: log: MESSAGE is required", ErrUsage)
	}
	return nil
}

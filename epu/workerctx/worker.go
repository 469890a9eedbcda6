package workerctx

import (
	"fmt"
	"path/filepath"
	"slices"
	"sync"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/epu/provisioner"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/pipeline"
	"github.com/cloudinitd/cloudinitd/plan"
)

// worker is one contextualization at work: the worker's settings, its
// attributes for ${} (plan.Resolver), and what its bootout.json gave.
type worker struct {
	c        *Contextualizer
	node     epu.Node
	inst     iaas.Instance
	dt       provisioner.DeployableType
	settings map[string]string
	secrets  *masker
	// nodeToken is the row node_token (none for a worker of no domain).
	nodeToken []plan.Row

	mu      sync.Mutex
	booted  bool       // the boot program ran: its bootout.json is known
	bootout []plan.Row // its rows
}

func newWorker(c *Contextualizer, node epu.Node, inst iaas.Instance, dt provisioner.DeployableType) (*worker, error) {
	w := &worker{c: c, node: node, inst: inst, dt: dt, settings: map[string]string{}, secrets: &masker{}}
	if d := node.Vars["domain"]; d != "" {
		tok, err := api.NodeToken(c.cfg.RunSecret, d)
		if err != nil {
			return nil, fmt.Errorf("node token of domain %q: %w", d, err)
		}
		w.nodeToken = []plan.Row{{Key: "node_token", Value: tok}}
		w.secrets.add(tok)
	}
	for k, v := range map[string]string{
		"bootpgm": dt.BootPgm, "bootpgm_args": dt.BootPgmArgs, "readypgm": dt.ReadyPgm,
		"readypgm_args": dt.ReadyPgmArgs, "bootconf": dt.BootConf, "ssh_username": dt.SSHUser,
		"localsshkeypath": dt.SSHKey, "ssh_check": dt.Options["ssh_check"], "terminatepgm": dt.TerminatePgm,
	} {
		if v != "" {
			w.settings[k] = v
		}
	}
	if _, set := w.settings["ssh_check"]; !set && dt.BootPgm == "" && dt.ReadyPgm == "" {
		// Nothing to run on the worker: it is ready once its instance
		// runs (ssh_check: "true" in the type's options checks SSH all
		// the same).
		w.settings["ssh_check"] = "false"
	}
	for _, rows := range [][]plan.Row{sortedRows(dt.Deps), sortedRows(node.Vars)} {
		for _, r := range rows {
			if plan.IsSecret(r.Key) {
				w.secrets.add(r.Value)
			}
		}
	}
	return w, nil
}

// service is the worker as the pipeline sees it; its name is the node id
// (its stage directory, its pinned host key).
func (w *worker) service() pipeline.Service {
	s := sink{w: w}
	return pipeline.Service{Name: w.node.NodeID, Settings: settings(w.settings), Attrs: attrs{w}, State: s, Bootout: s, Log: s}
}

// settings are the deployable type's keys under their plan names.
type settings map[string]string

func (s settings) Setting(key string) (string, bool) { v, ok := s[key]; return v, ok }

// pathKeys are the settings that name files, relative to Config.Dir.
var pathKeys = []string{"bootpgm", "readypgm", "terminatepgm", "bootconf", "localsshkeypath"}

// attrs implements pipeline.Attributes over the worker's resolver.
type attrs struct{ w *worker }

func (a attrs) Setting(key string) (string, error) {
	v, err := plan.Expand(a.w.settings[key], a.w.node.NodeID, a.w)
	if err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	if v != "" && slices.Contains(pathKeys, key) && !filepath.IsAbs(v) {
		v = filepath.Join(a.w.c.cfg.Dir, v)
	}
	return v, nil
}

func (a attrs) Args(key string) ([]string, error) {
	args, err := plan.ExpandArgs(a.w.settings[key], a.w.node.NodeID, a.w)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	for i, arg := range args {
		if a.w.secrets.contains(arg) {
			return nil, fmt.Errorf("%s: word %d holds a secret: arguments are visible to every user of the host (ps); pass it in bootconf", key, i+1)
		}
	}
	return args, nil
}

func (a attrs) Bag() (map[string]string, error) {
	rows, err := plan.NewExpander(a.w).Bag(a.w.node.NodeID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		if plan.IsSecret(r.Key) {
			a.w.secrets.add(r.Value)
		}
		out[r.Key] = r.Value
	}
	return out, nil
}

var _ plan.Resolver = (*worker)(nil)

// Field implements plan.Resolver: the worker's built-in attributes. An
// attribute it does not have is unset while its boot program may still
// give it (bootout.json), an error otherwise.
func (w *worker) Field(svc, attr string) (string, bool, error) {
	if svc != w.node.NodeID {
		return "", false, fmt.Errorf("%q (a worker knows only itself, %q): %w", svc, w.node.NodeID, plan.ErrUnknownService)
	}
	set := func(v string) (string, bool, error) { return v, v != "", nil }
	switch attr {
	case "node_id", "name":
		return set(w.node.NodeID)
	case "launch_id":
		return set(w.node.LaunchID)
	case "run_id":
		if w.c.cfg.Run.Name == "" {
			return "", false, nil
		}
		return w.c.cfg.Run.String(), true, nil
	case "run_name":
		return set(w.c.cfg.Run.Name)
	case "deployable_type":
		return set(w.node.DeployableType)
	case "site":
		return set(w.node.Site)
	case "allocation":
		return set(w.node.Allocation)
	case "hostname":
		return set(w.inst.Hostname)
	case "instance_id":
		return set(w.inst.ID)
	case "run_secret", "iaas_state_dir":
		return "", false, fmt.Errorf("%s is not given to workers: %w", attr, plan.ErrUnknownAttr)
	}
	w.mu.Lock()
	booted := w.booted
	w.mu.Unlock()
	if _, ok := w.settings["bootpgm"]; ok && !booted {
		return "", false, nil // its bootout.json may give it
	}
	return "", false, fmt.Errorf("worker %q has no attribute %q: %w", svc, attr, plan.ErrUnknownAttr)
}

// Rows implements plan.Resolver: the worker's identity (builtIn), the
// deployable type's deps, then the request's vars, its domain's
// node_token, then the bootout.json rows.
func (w *worker) Rows(svc string) ([]plan.Row, error) {
	if svc != w.node.NodeID {
		return nil, fmt.Errorf("%q: %w", svc, plan.ErrUnknownService)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Concat(w.builtIn(), sortedRows(w.dt.Deps), sortedRows(w.node.Vars), w.nodeToken, w.bootout), nil
}

// builtIn are the first rows of a worker's bag, its identity, so that the
// rows after them and bootconf templates ($node_id) read them: node_id,
// launch_id, deployable_type, site, allocation, run_id, run_name,
// hostname, instance_id (those set).
func (w *worker) builtIn() []plan.Row {
	var rows []plan.Row
	for _, k := range []string{"node_id", "launch_id", "deployable_type", "site", "allocation", "run_id", "run_name", "hostname", "instance_id"} {
		if v, ok, _ := w.Field(w.node.NodeID, k); ok {
			rows = append(rows, plan.Row{Key: k, Value: v})
		}
	}
	return rows
}

// Global implements plan.Resolver: workers have no globals.
func (w *worker) Global(string) (string, bool) { return "", false }

// setBootout keeps what the boot program gave.
func (w *worker) setBootout(as []pipeline.Attr) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.booted = true
	w.bootout = w.bootout[:0]
	for _, a := range as {
		if plan.IsSecret(a.Key) {
			w.secrets.add(a.Value)
		}
		w.bootout = append(w.bootout, plan.Row{Key: a.Key, Value: a.Value})
	}
}

// sortedRows are the rows of m by key.
func sortedRows(m map[string]string) []plan.Row {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	rows := make([]plan.Row, len(keys))
	for i, k := range keys {
		rows[i] = plan.Row{Key: k, Value: m[k]}
	}
	return rows
}

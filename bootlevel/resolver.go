package bootlevel

import (
	"context"
	"fmt"
	"strings"

	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/store"
)

// columnKeys maps the attribute names of stored columns (the original's
// service table) to the plan keys that hold them; ${svc.keyname} reads
// the sshkeyname setting.
var columnKeys = map[string]string{
	"image": "image", "iaas": "iaas", "allocation": "allocation",
	"keyname": "sshkeyname", "localkey": "localsshkeypath", "username": "ssh_username",
	"scp_username": "scp_username", "readypgm": "readypgm", "readypgm_args": "readypgm_args",
	"bootconf": "bootconf", "bootpgm": "bootpgm", "bootpgm_args": "bootpgm_args",
	"securitygroups": "securitygroups", "iaas_url": "iaas_url", "iaas_key": "iaas_key",
	"iaas_secret": "iaas_secret", "terminatepgm": "terminatepgm",
	"terminatepgm_args": "terminatepgm_args", "iaas_launch": "iaas_launch",
	"pgm_timeout": "pgm_timeout", "local_exe": "local_exe",
}

// Resolver resolves ${svc.attr} and ${global.name} (plan.Resolver) over an
// image of a run record, with plan.Expander's rules (reference §1.7): the
// bag is the deps rows then the bootout rows in record order, expanded in
// that order, each row seeing the rows before it; the fields are hostname
// (set only when known), instance_id, run_name, run_id (the run's full id,
// iaas.RunID: name.incarnation), run_secret (the record's secret,
// store.DB.RunSecret: a secret, added to the Secrets like every secret it
// hands out; unset when the record has none), iaas_state_dir (the drivers' state
// directory, Engine.StateDir; unset without one) and the stored columns by
// their column names (keyname, localkey, username, image, state, ...).
// An attribute a service does not have is an error, except for a service
// with a boot program that has not run yet, whose bootout.json may still
// provide it: it is unset and the token stays in place (as in the
// load-time check of the plan). Once the boot program has run (the service
// is contextualized or ready), an attribute its bootout.json did not give
// is an error again, except in a dry run, where no bootout.json arrives.
//
// A Resolver from LoadResolver is a snapshot that never changes: build a
// new one after the record changed. The engine's own resolvers read the
// image of the running command, which follows every write the engine makes
// (see view); they are safe for concurrent use.
//
// Secrets (plan.IsSecret) are resolved where they come from: credentials
// and secret deps rows stored as env.NAME from the environment, secret
// globals from the command line (ResolverOptions.Globals); every secret
// value handed out is added to ResolverOptions.Secrets.
type Resolver struct {
	v         *view
	lookupEnv func(string) (string, bool)
	globals   map[string]string // the command line's -g values
	secrets   *Secrets
	dryRun    bool
	// stateDir is the drivers' state directory (Engine.StateDir), the
	// attribute iaas_state_dir.
	stateDir string
}

// ResolverOptions are what a resolver takes from the command besides the
// record.
type ResolverOptions struct {
	// LookupEnv resolves values stored as env.NAME (nil: none resolve).
	LookupEnv func(string) (string, bool)
	// Globals are the command line's global variables (-g): they win over
	// the record's, and a secret one exists only here.
	Globals map[string]string
	// Secrets receives every secret value the resolver hands out (nil:
	// none is collected).
	Secrets *Secrets
	// StateDir is the drivers' state directory, the attribute
	// iaas_state_dir (Engine.StateDir; "": unset).
	StateDir string
}

var _ plan.Resolver = (*Resolver)(nil)

// LoadResolver reads services, bags and globals of the run from db.
// lookupEnv resolves credentials stored as env.NAME (nil: none resolve).
func LoadResolver(ctx context.Context, db *store.DB, lookupEnv func(string) (string, bool)) (*Resolver, error) {
	return LoadResolverWith(ctx, db, ResolverOptions{LookupEnv: lookupEnv})
}

// LoadResolverWith is LoadResolver with every option. The secrets of the
// run (credentials, secret deps, bootout.json and global values) are added
// to o.Secrets at once, so that whatever is shown next is masked.
func LoadResolverWith(ctx context.Context, db *store.DB, o ResolverOptions) (*Resolver, error) {
	v, err := loadView(ctx, db, nil)
	if err != nil {
		return nil, err
	}
	r := newResolver(v, o)
	r.learnSecrets()
	return r, nil
}

func newResolver(v *view, o ResolverOptions) *Resolver {
	return &Resolver{v: v, lookupEnv: o.LookupEnv, globals: o.Globals, secrets: o.Secrets, stateDir: o.StateDir}
}

// DryRun returns a resolver over the same record as a dry run sees it:
// an attribute a boot program would have given through bootout.json stays
// unset, so its ${} token stands in for it, as during the dry run itself.
func (r *Resolver) DryRun() *Resolver {
	c := *r
	c.dryRun = true
	return &c
}

// Service returns the stored row of svc.
func (r *Resolver) Service(svc string) (store.Service, bool) { return r.v.service(svc) }

// Lookup returns the raw value of attr of svc in the order of
// plan.Expander: the attributes plan.BeforeBag names, then the last bag
// row of that key, then the stored columns (Field).
func (r *Resolver) Lookup(svc, attr string) (string, bool, error) {
	if !plan.BeforeBag(attr) {
		if _, ok := r.v.service(svc); !ok {
			return "", false, fmt.Errorf("%q: %w", svc, plan.ErrUnknownService)
		}
		as := r.v.bag(svc)
		for i := len(as) - 1; i >= 0; i-- {
			if as[i].Key == attr {
				return r.bagValue(svc, as[i])
			}
		}
	}
	return r.Field(svc, attr)
}

// Field implements plan.Resolver: every attribute of svc but its bag.
func (r *Resolver) Field(svc, attr string) (string, bool, error) {
	s, ok := r.v.service(svc)
	if !ok {
		return "", false, fmt.Errorf("%q: %w", svc, plan.ErrUnknownService)
	}
	switch attr {
	case "hostname":
		if s.Hostname != "" {
			return s.Hostname, true, nil
		}
		if launch, _ := s.Setting("iaas_launch"); !strings.EqualFold(launch, "true") {
			v, set := s.Setting("hostname") // a hostname-only service: the configured name
			return v, set, nil
		}
		return "", false, nil
	case "instance_id":
		return s.InstanceID, s.InstanceID != "", nil
	case "run_name":
		return r.v.run.Name, true, nil
	case "run_id":
		return r.v.run.String(), true, nil
	case "run_secret":
		r.secrets.Add(r.v.secret)
		return r.v.secret, r.v.secret != "", nil
	case "iaas_state_dir":
		return r.stateDir, r.stateDir != "", nil
	case "state":
		return string(s.State), true, nil
	case "last_error":
		return s.LastError, s.LastError != "", nil
	case "name":
		return s.Name, true, nil
	}
	if key, ok := columnKeys[attr]; ok {
		v, set := s.Setting(key)
		if set && plan.IsSecret(key) {
			v, set = r.credential(s, key)
		}
		return v, set, nil
	}
	if _, ok := s.Setting("bootpgm"); ok {
		if r.dryRun || !bootRan(s.State) {
			// Its bootout.json may provide it later: unset, the token
			// stays, as when the plan was checked at load.
			return "", false, nil
		}
		why := "its bootout.json did not provide it"
		if cause := r.v.bootoutProblem(svc); cause != "" {
			why = "its bootout.json was ignored: " + cause
		}
		return "", false, &plan.MissingAttrError{Why: why}
	}
	return "", false, fmt.Errorf("service %q has no attribute %q: %w", svc, attr, plan.ErrUnknownAttr)
}

// Rows implements plan.Resolver: svc's bag rows in record order (deps
// rows, then bootout.json rows), secret ones read as bagValue does; a row
// that cannot be read carries its error.
func (r *Resolver) Rows(svc string) ([]plan.Row, error) {
	if _, ok := r.v.service(svc); !ok {
		return nil, fmt.Errorf("%q: %w", svc, plan.ErrUnknownService)
	}
	as := r.v.bag(svc)
	rows := make([]plan.Row, len(as))
	for i, a := range as {
		v, _, err := r.bagValue(svc, a)
		rows[i] = plan.Row{Key: a.Key, Value: v, Err: err}
	}
	return rows, nil
}

// Global implements plan.Resolver: the command line's value, else the
// record's (a secret global is never recorded: it must be given again).
func (r *Resolver) Global(name string) (string, bool) {
	v, ok := r.globals[name]
	if !ok {
		v, ok = r.v.globals[name] // never changes after load
	}
	if ok && plan.IsSecret(name) {
		r.secrets.Add(v)
	}
	return v, ok
}

// Expand expands the ${} tokens of s in the context of service svc.
func (r *Resolver) Expand(s, svc string) (string, error) { return plan.Expand(s, svc, r) }

// Setting returns svc's setting key, expanded.
func (r *Resolver) Setting(svc, key string) (string, error) {
	s, ok := r.v.service(svc)
	if !ok {
		return "", fmt.Errorf("%q: %w", svc, plan.ErrUnknownService)
	}
	v, _ := s.Setting(key)
	if v == "" {
		return "", nil
	}
	out, err := r.Expand(v, svc)
	if err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	return out, nil
}

// Bag returns svc's attribute bag, expanded as cloudinit.d built it (in
// order, each row seeing the rows before it), the last row of a key
// winning. This is what bootconf templates see.
func (r *Resolver) Bag(svc string) (map[string]string, error) {
	rows, err := plan.NewExpander(r).Bag(svc)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, row := range rows {
		if plan.IsSecret(row.Key) {
			r.secrets.Add(row.Value)
		}
		out[row.Key] = row.Value
	}
	return out, nil
}

// Keys returns the attribute names svc exposes besides its columns:
// hostname, instance_id and its bag keys, in bag order.
func (r *Resolver) Keys(svc string) []string {
	keys := []string{"hostname", "instance_id"}
	seen := map[string]bool{"hostname": true, "instance_id": true}
	for _, a := range r.v.bag(svc) {
		if !seen[a.Key] {
			seen[a.Key] = true
			keys = append(keys, a.Key)
		}
	}
	return keys
}

// booted reports whether a service's boot program has completed.
func booted(st store.State) bool {
	return st == store.StateContextualized || st == store.StateReady
}

// bootRan reports whether a service's boot program has run and its
// bootout.json been read.
func bootRan(st store.State) bool {
	return st == store.StateContextualized || st == store.StateReady
}

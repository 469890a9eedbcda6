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
// image of a run record. Lookup order (reference §1.7): hostname (set only
// when known), instance_id, run_name, the attribute bag (deps then bootout
// rows, the last row of a key wins), then the stored columns by their
// column names (keyname, localkey, username, image, state, ...).
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
type Resolver struct {
	v         *view
	lookupEnv func(string) (string, bool)
	dryRun    bool
}

var _ plan.Resolver = (*Resolver)(nil)

// LoadResolver reads services, bags and globals of the run from db.
// lookupEnv resolves credentials stored as env.NAME (nil: none resolve).
func LoadResolver(ctx context.Context, db *store.DB, lookupEnv func(string) (string, bool)) (*Resolver, error) {
	v, err := loadView(ctx, db)
	if err != nil {
		return nil, err
	}
	return &Resolver{v: v, lookupEnv: lookupEnv}, nil
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

// Lookup implements plan.Resolver.
func (r *Resolver) Lookup(svc, attr string) (string, bool, error) {
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
		return r.v.run, true, nil
	}
	as := r.v.bag(svc)
	for i := len(as) - 1; i >= 0; i-- {
		if as[i].Key == attr {
			return as[i].Value, true, nil
		}
	}
	switch attr {
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
			v, set = r.secret(v)
		}
		return v, set, nil
	}
	if _, ok := s.Setting("bootpgm"); ok {
		if r.dryRun || !bootRan(s.State) {
			// Its bootout.json may provide it later: unset, the token
			// stays, as when the plan was checked at load.
			return "", false, nil
		}
		return "", false, fmt.Errorf("service %q has no attribute %q: its bootout.json did not provide it: %w", svc, attr, plan.ErrUnknownAttr)
	}
	return "", false, fmt.Errorf("service %q has no attribute %q: %w", svc, attr, plan.ErrUnknownAttr)
}

// credential returns the credential setting key (iaas_key, iaas_secret) of
// s as its settings give it, resolved (see secret); never a bag value.
func (r *Resolver) credential(s store.Service, key string) (string, bool) {
	v, set := s.Setting(key)
	if !set {
		return "", false
	}
	return r.secret(v)
}

// secret resolves a stored credential reference.
func (r *Resolver) secret(ref string) (string, bool) {
	if name, ok := strings.CutPrefix(ref, "env."); ok && r.lookupEnv != nil {
		return r.lookupEnv(name)
	}
	return "", false
}

// Global implements plan.Resolver.
func (r *Resolver) Global(name string) (string, bool) {
	v, ok := r.v.globals[name] // never changes after load
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

// Bag returns svc's attribute bag, each value expanded in the context of
// svc, the last row of a key winning. This is what bootconf templates see.
func (r *Resolver) Bag(svc string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range r.v.bag(svc) {
		v, err := r.Expand(a.Value, svc)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", a.Key, err)
		}
		out[a.Key] = v
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

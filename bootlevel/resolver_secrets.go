package bootlevel

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/store"
)

// How a Resolver reads secrets (plan.IsSecret): from where they come,
// never from the record, each value added to the command's Secrets.

// credential returns the credential setting key (iaas_key, iaas_secret) of
// s as its settings give it, resolved (see secret); never a bag value.
func (r *Resolver) credential(s store.Service, key string) (string, bool) {
	v, set := s.Setting(key)
	if !set {
		return "", false
	}
	return r.fromEnv(v)
}

// requiredCredential is credential for a launch spec: a credential the plan
// sets must resolve, or the launch would silently go to the driver's
// default chain (another account, or none); unset is "" (the default
// chain).
func (r *Resolver) requiredCredential(s store.Service, key string) (string, error) {
	ref, set := s.Setting(key)
	if !set {
		return "", nil
	}
	if v, ok := r.credential(s, key); ok {
		return v, nil
	}
	if !strings.HasPrefix(ref, "env.") {
		return "", fmt.Errorf("%s: the plan wrote it literally and the record does not hold it: reload the run "+
			"with %s: env.NAME: %w", key, key, ErrCredentials)
	}
	return "", fmt.Errorf("%s is %s, which is not set in this command's environment "+
		"(credentials are never stored: export it): %w", key, ref, ErrCredentials)
}

// ErrCredentials is wrapped by the error of a credential the plan sets and
// this command cannot resolve.
var ErrCredentials = errors.New("credentials not available")

// fromEnv resolves a secret stored as its reference env.NAME, and adds the
// value to the command's secrets.
func (r *Resolver) fromEnv(ref string) (string, bool) {
	name, ok := strings.CutPrefix(ref, "env.")
	if !ok || r.lookupEnv == nil {
		return "", false
	}
	v, ok := r.lookupEnv(name)
	if ok {
		r.secrets.Add(v)
	}
	return v, ok
}

// bagValue returns the raw value of a bag row of svc. A secret deps row
// is stored as env.NAME and read from the environment (a bootout.json row
// never is: a boot program must not read this process's environment).
func (r *Resolver) bagValue(svc string, a store.Attr) (string, bool, error) {
	if !plan.IsSecret(a.Key) {
		return a.Value, true, nil
	}
	if a.Origin == store.OriginDeps && strings.HasPrefix(a.Value, "env.") {
		v, ok := r.fromEnv(a.Value)
		if !ok {
			return "", false, fmt.Errorf("service %q: %s is %s, which is not set in this command's environment "+
				"(a secret is never stored: export it again)", svc, a.Key, a.Value)
		}
		return v, true, nil
	}
	r.secrets.Add(a.Value)
	return a.Value, true, nil
}

// learnSecrets adds every secret of the run the resolver can resolve to its
// Secrets: the run's secret (run_secret), credentials and secret deps rows
// from the environment, secret bootout.json rows, secret globals of the
// record and the command line.
func (r *Resolver) learnSecrets() {
	if r.secrets == nil {
		return
	}
	r.secrets.Add(r.v.secret)
	for _, gs := range []map[string]string{r.globals, r.v.globals} {
		for name, v := range gs {
			if plan.IsSecret(name) {
				r.secrets.Add(v)
			}
		}
	}
	for s := range r.v.rows() {
		for _, set := range s.Settings {
			if plan.IsSecret(set.Key) {
				r.credential(s, set.Key)
			}
		}
		for _, a := range r.v.bag(s.Name) {
			if plan.IsSecret(a.Key) {
				_, _, _ = r.bagValue(s.Name, a) // learning only: an unset variable fails where it is used
			}
		}
	}
}

// secrets returns the command's Secrets.
func (e *Engine) secrets() *Secrets {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.secretsLocked()
}

func (e *Engine) secretsLocked() *Secrets {
	if e.Secrets != nil {
		return e.Secrets
	}
	if e.own == nil {
		e.own = &Secrets{}
	}
	return e.own
}

// resolverOptions are the engine's options of every resolver it makes.
func (e *Engine) resolverOptions() ResolverOptions {
	return ResolverOptions{LookupEnv: e.LookupEnv, Globals: e.Globals, Secrets: e.secrets(), StateDir: e.StateDir}
}

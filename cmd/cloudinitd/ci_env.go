package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/store"
)

// The variables 'cloudinitd run' always gives its COMMAND (docs/ci.md).
// They win over a service attribute that maps to the same name.
const (
	envRun   = "CLOUDINITD_RUN"    // the run's name
	envRunID = "CLOUDINITD_RUN_ID" // its full id, name.incarnation
	envDoc   = "CLOUDINITD_DOC"    // the run document (-o), a file
	envDBDir = "CLOUDINITD_DB_DIR" // the record directory, read by -d's default
)

// ciVars are the variables of a run for its COMMAND, and what was left
// out and why, one line each, for the user.
type ciVars struct {
	vars    map[string]string
	skipped []string
}

// envName maps a service attribute to its variable: CLOUDINITD_, the
// service name, _, the key, upper-cased, every character that is not a
// letter, digit or _ ('-', '.') as _.
func envName(svc, key string) string {
	var b strings.Builder
	b.WriteString("CLOUDINITD_")
	for _, c := range strings.ToUpper(svc + "_" + key) {
		if (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// runVars reads the run's attributes from its record: for every service
// its hostname, instance_id and every attribute of its bag (deps and
// bootout.json values, expanded, as the -o document has them). A secret
// (plan.IsSecret, or a value holding one) is never exported. Two
// attributes that map to one name are both left out, as is an attribute
// that maps to one of the fixed names: a COMMAND must never read one
// service's value believing it is another's.
func runVars(ctx context.Context, db *store.DB, ro bootlevel.ResolverOptions, dbDir, doc string) (ciVars, error) {
	r, err := bootlevel.LoadResolverWith(ctx, db, ro)
	if err != nil {
		return ciVars{}, err
	}
	svcs, err := db.Services(ctx)
	if err != nil {
		return ciVars{}, err
	}
	out := ciVars{vars: map[string]string{
		envRun: db.Name(), envRunID: db.Name() + "." + db.Incarnation(), envDoc: doc, envDBDir: dbDir,
	}}
	from := map[string]string{} // variable -> "service.key" that set it
	clash := map[string][]string{}
	set := func(svc, key, val string) {
		name := envName(svc, key)
		where := svc + "." + key
		if _, fixed := out.vars[name]; fixed && from[name] == "" {
			clash[name] = append(clash[name], where)
			return
		}
		if prev, ok := from[name]; ok && prev != where {
			clash[name] = append(clash[name], where)
			return
		}
		from[name] = where
		out.vars[name] = val
	}
	for _, s := range svcs {
		attrs := map[string]string{"hostname": s.Hostname, "instance_id": s.InstanceID}
		bag, err := r.Bag(s.Name)
		if err != nil {
			return ciVars{}, fmt.Errorf("service %q: %w", s.Name, err)
		}
		for k, v := range bag {
			attrs[k] = v // the bag's value wins, as in the -o document
		}
		for _, k := range slices.Sorted(maps.Keys(attrs)) {
			v := attrs[k]
			if plan.IsSecret(k) || (ro.Secrets != nil && ro.Secrets.Mask(v) != v) {
				out.skipped = append(out.skipped, fmt.Sprintf("%s (%s.%s): a secret, not exported", envName(s.Name, k), s.Name, k))
				continue
			}
			set(s.Name, k, v)
		}
	}
	for _, n := range slices.Sorted(maps.Keys(clash)) {
		srcs := clash[n]
		if prev := from[n]; prev != "" {
			srcs = append([]string{prev}, srcs...)
			delete(out.vars, n)
			out.skipped = append(out.skipped, fmt.Sprintf("%s: %s map to the same name, none exported", n, strings.Join(srcs, " and ")))
			continue
		}
		out.skipped = append(out.skipped, fmt.Sprintf("%s: %s maps to a name cloudinitd sets itself, not exported", n, strings.Join(srcs, " and ")))
	}
	return out, nil
}

// environ is base with the run's variables set (replacing any of the same
// name), sorted.
func (v ciVars) environ(base []string) []string {
	out := make([]string, 0, len(base)+len(v.vars))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if _, ours := v.vars[k]; !ours {
			out = append(out, kv)
		}
	}
	for k, val := range v.vars {
		out = append(out, k+"="+val)
	}
	sort.Strings(out)
	return out
}

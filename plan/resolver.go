package plan

import (
	"fmt"
	"slices"
	"strings"
)

// Resolver returns a [Resolver] over the plan as loaded, before anything
// ran: the bag of a service is its deps rows; hostname, instance_id,
// run_id, run_secret, iaas_state_dir and last_error are unset (tokens stay in place);
// run_name is runName, unset if empty; the fields are the service's
// settings under their DB column names (keyname, localkey, username, ...),
// state "0" and name. An attribute that only a bootout.json could provide
// is unset when the
// service has a bootpgm, unknown otherwise.
func (p *Plan) Resolver(runName string) Resolver {
	return planResolver{p: p, run: runName}
}

type planResolver struct {
	p   *Plan
	run string
}

var _ Resolver = planResolver{}

// Field implements [Resolver].
func (r planResolver) Field(svc, attr string) (string, bool, error) {
	s := r.p.Service(svc)
	if s == nil {
		return "", false, fmt.Errorf("%q: %w", svc, ErrUnknownService)
	}
	switch attr {
	case "hostname", "instance_id", "last_error", "run_id", "run_secret", "iaas_state_dir":
		return "", false, nil // known once the run is recorded and running
	case "run_name":
		return r.run, r.run != "", nil
	case "state":
		return "0", true, nil
	case "name":
		return s.Name, true, nil
	case "iaas_launch":
		return boolString(s.IaaSLaunch()), true, nil
	case "local_exe":
		return boolString(s.LocalExe()), true, nil
	}
	if key, ok := columnKey(attr); ok {
		v, set := s.Get(key)
		return v, set, nil
	}
	if _, ok := s.Get("bootpgm"); ok {
		return "", false, nil // may come from bootout.json
	}
	return "", false, fmt.Errorf("%q of %q: %w", attr, svc, ErrUnknownAttr)
}

// Rows implements [Resolver]: the deps rows.
func (r planResolver) Rows(svc string) ([]Row, error) {
	s := r.p.Service(svc)
	if s == nil {
		return nil, fmt.Errorf("%q: %w", svc, ErrUnknownService)
	}
	rows := make([]Row, len(s.Deps))
	for i, a := range s.Deps {
		rows[i] = Row{Key: a.Key, Value: a.Value}
	}
	return rows, nil
}

// Global implements [Resolver].
func (r planResolver) Global(name string) (string, bool) {
	g, ok := r.p.Globals[name]
	return g.Value, ok
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// attrCandidates lists the attributes s certainly has, for suggestions.
func attrCandidates(s *Service) []string {
	out := append([]string(nil), builtInColumns...)
	for _, k := range knownKeys {
		if k.column != "" {
			out = append(out, k.column)
		}
	}
	for _, a := range s.Deps {
		out = append(out, a.Key)
	}
	return out
}

// closest returns the candidate nearest to name within a small edit
// distance (the first in sorted order on a tie), or "".
func closest(name string, candidates []string) string {
	limit := min(3, len(name)/3+1)
	best, bestD := "", limit+1
	for _, c := range slices.Sorted(slices.Values(candidates)) {
		if abs(len(c)-len(name)) > limit {
			continue // the distance is at least the difference in length
		}
		if d := editDistance(name, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// attrHint explains an attribute name that is a configuration key but
// not an attribute (sshkeyname -> keyname), or suggests the closest
// attribute of s (for the first maxSuggest unknown attributes).
func (h *hints) attrHint(attr string, s *Service) string {
	if k, ok := knownKeys[attr]; ok && k.column != "" && k.column != attr {
		return fmt.Sprintf("; the attribute of key %s is %q", attr, k.column)
	}
	if h.attrs < maxSuggest {
		h.attrs++
		if c := closest(attr, attrCandidates(s)); c != "" {
			return fmt.Sprintf("; did you mean %q?", c)
		}
	}
	return "; a service has hostname, instance_id, run_name, its deps keys, the stored columns (image, keyname, ...) and, with a bootpgm, its bootout.json keys"
}

func abs(n int) int { return max(n, -n) }

// hints computes the suggestions of one load's error messages. Each
// distinct unknown service name is looked at once, and only the first
// maxSuggest of them are compared with every service's name, so that many
// bad references cost time linear in the plan.
type hints struct {
	p        *Plan
	replicas map[string][]string // base name -> replica names
	names    []string
	done     map[string]string
	attrs    int // attrHint calls that compared names
}

const maxSuggest = 32

// replicaHint explains a reference to the base name of replicated
// services, or suggests the closest service name.
func (h *hints) replicaHint(name string) string {
	if hint, ok := h.done[name]; ok {
		return hint
	}
	if h.done == nil {
		h.done, h.replicas = map[string]string{}, map[string][]string{}
		for _, s := range h.p.Services() {
			h.names = append(h.names, s.Name)
			if s.Replica >= 0 {
				h.replicas[s.Base] = append(h.replicas[s.Base], s.Name)
			}
		}
	}
	hint := ""
	if names := h.replicas[name]; len(names) > 0 {
		hint = fmt.Sprintf("; %q has replicas %s", name, strings.Join(names, ", "))
	} else if len(h.done) < maxSuggest {
		if c := closest(name, h.names); c != "" {
			hint = fmt.Sprintf("; did you mean %q?", c)
		}
	}
	h.done[name] = hint
	return hint
}

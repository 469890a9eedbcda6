package engine

import (
	"fmt"
	"maps"

	"github.com/cloudinitd/cloudinitd/epu"
)

// Configuration keys of the npreserving engine.
const (
	PreserveNKey = "preserve_n"
	UniquesKey   = "unique_instances"
)

// Npreserving keeps N instances alive (reference §2.6.1, the original's
// NpreservingEngine), some of them unique: each key of unique_instances
// is one instance launched with that key's vars, replaced with the same
// vars when it fails. Make one with NewNpreserving.
type Npreserving struct {
	preserveN int
	target    target
	uniques   map[string]map[string]string // unique key → its vars
	uniqueIDs map[string]string            // unique key → the instance launched for it (kept after the key goes)
	toDie     []string                     // unique keys reconfigured away, terminated by the next Decide
	devmode   bool
	de        epu.DEState
}

var _ ConfReporter = (*Npreserving)(nil)

// NewNpreserving returns an npreserving engine preserving 0 instances.
func NewNpreserving() *Npreserving {
	return &Npreserving{
		uniques:   map[string]map[string]string{},
		uniqueIDs: map[string]string{},
		de:        epu.DEPending,
	}
}

// Initialize reads preserve_n (an integer or a string holding one, ≥ 0;
// absent or no conf at all: 0), unique_instances, the launch keys and
// devmode, and sets the decide period to 5 s. It does not push
// provisioner_vars: the controller took them from the same conf. Unique
// keys with no recorded instance adopt a valid instance of s launched
// with exactly their vars, so a restarted controller does not launch a
// second one.
func (e *Npreserving) Initialize(c Control, s *State, conf Conf) error {
	t, err := readTarget(conf, e.target)
	if err != nil {
		return err
	}
	n, _, err := confCount(conf, PreserveNKey)
	if err != nil {
		return err
	}
	uniques := e.uniques
	if v, found := conf[UniquesKey]; found {
		if uniques, err = parseUniques(v); err != nil {
			return err
		}
	}
	if err := uniquesLegal(uniques, n); err != nil {
		return err
	}
	if v, found := conf[ProvisionerVarsKey]; found {
		if _, err := vars(ProvisionerVarsKey, v); err != nil {
			return err
		}
	}
	e.target, e.preserveN = t, n
	e.devmode = Devmode(conf, e.devmode)
	e.setUniques(uniques)
	e.adopt(s)
	return c.Configure(Conf{PulseKey: defaultPulseMillis})
}

// Reconfigure applies the top-level keys of newconf present, each
// replacing its whole subtree: preserve_n, unique_instances,
// provisioner_vars (pushed through Control.Configure; they affect later
// launches only), the launch keys and devmode. Everything is checked
// before anything changes: more unique keys than the new preserve_n is an
// error and nothing changes. A unique key that disappears is terminated by
// the next Decide; a key whose vars change keeps its instance.
func (e *Npreserving) Reconfigure(c Control, newconf Conf) error {
	t, err := readTarget(newconf, e.target)
	if err != nil {
		return err
	}
	n, found, err := confCount(newconf, PreserveNKey)
	if err != nil {
		return err
	}
	if !found {
		n = e.preserveN
	}
	uniques, newUniques := e.uniques, false
	if v, found := newconf[UniquesKey]; found {
		if uniques, err = parseUniques(v); err != nil {
			return err
		}
		newUniques = true
	}
	if newUniques || n != e.preserveN {
		if err := uniquesLegal(uniques, n); err != nil {
			return err
		}
	}
	if v, found := newconf[ProvisionerVarsKey]; found {
		pv, err := vars(ProvisionerVarsKey, v)
		if err != nil {
			return err
		}
		if err := c.Configure(Conf{ProvisionerVarsKey: pv}); err != nil {
			return fmt.Errorf("configure %s: %w", ProvisionerVarsKey, err)
		}
	}
	e.devmode = Devmode(newconf, e.devmode)
	e.target, e.preserveN = t, n
	if newUniques {
		e.setUniques(uniques)
	}
	return nil
}

// DEState is the verdict of the last Decide.
func (e *Npreserving) DEState() epu.DEState { return e.de }

// ConfReport is the original's one-line de_conf_report, with Python list
// reprs; a launch key left to the domain's own shows as [].
func (e *Npreserving) ConfReport() string {
	return fmt.Sprintf("NpreservingEngine: preserves %d instances (%d unique), sites: %s, types: %s, allocations: %s",
		e.preserveN, len(e.uniques), pyList(e.target.site), pyList(e.target.dt), pyList(e.target.allocation))
}

// UniqueInstance returns the instance recorded for a unique key.
func (e *Npreserving) UniqueInstance(key string) (string, bool) {
	id, ok := e.uniqueIDs[key]
	return id, ok
}

// setUniques replaces the unique keys, queuing for termination every old
// key absent from the new ones.
func (e *Npreserving) setUniques(uniques map[string]map[string]string) {
	for _, k := range sortedKeys(e.uniques) {
		if _, ok := uniques[k]; !ok {
			e.toDie = append(e.toDie, k)
		}
	}
	e.uniques = uniques
}

// adopt records, for each unique key without an instance, the first valid
// instance of s (by id) launched with exactly the key's vars.
func (e *Npreserving) adopt(s *State) {
	if s == nil || len(e.uniques) == 0 {
		return
	}
	taken := map[string]bool{}
	for _, id := range e.uniqueIDs {
		taken[id] = true
	}
	all := s.All()
	for _, k := range sortedKeys(e.uniques) {
		if _, ok := e.uniqueIDs[k]; ok {
			continue
		}
		for _, i := range all {
			if !bad(i.State) && !taken[i.InstanceID] && len(i.Extravars) > 0 && maps.Equal(i.Extravars, e.uniques[k]) {
				e.uniqueIDs[k], taken[i.InstanceID] = i.InstanceID, true
				break
			}
		}
	}
}

// parseUniques reads unique_instances: {key: {var: value}}.
func parseUniques(v any) (map[string]map[string]string, error) {
	var m map[string]any
	switch x := v.(type) {
	case map[string]any:
		m = x
	case Conf:
		m = x
	case map[string]map[string]string:
		out := make(map[string]map[string]string, len(x))
		for k, vs := range x {
			out[k] = maps.Clone(vs)
		}
		return out, nil
	default:
		return nil, badConf(UniquesKey, "%v (%T) is not an object of objects", v, v)
	}
	out := make(map[string]map[string]string, len(m))
	for _, k := range sortedKeys(m) {
		vs, err := vars(UniquesKey+"."+k, m[k])
		if err != nil {
			return nil, err
		}
		out[k] = vs
	}
	return out, nil
}

// uniquesLegal refuses more unique keys than preserve_n.
func uniquesLegal(uniques map[string]map[string]string, n int) error {
	if len(uniques) > n {
		return badConf(UniquesKey, "%d unique instances exceed %s %d", len(uniques), PreserveNKey, n)
	}
	return nil
}

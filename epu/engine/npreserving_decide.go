package engine

import (
	"fmt"
	"maps"
	"math/rand/v2"

	"github.com/cloudinitd/cloudinitd/epu"
)

// Decide follows steps 1–7 of reference §2.6.1: destroy unhealthy
// instances (devmode: only report them), terminate unique instances
// reconfigured away, relaunch or launch each unique key's instance, then
// bring the generic instances (valid ones not recorded for a unique key)
// to preserve_n minus the unique keys, destroying random ones when over.
// It costs O(n log n) in the instances of s.
func (e *Npreserving) Decide(c Control, s *State) error {
	all := s.All()
	valid := validIDs(all)
	forcePending := false
	if e.devmode && len(all) != len(valid) {
		e.de = epu.DEDevmodeFailed
	}
	for _, i := range s.Unhealthy() {
		if e.devmode {
			e.de = epu.DEDevmodeFailed
			continue
		}
		if err := c.Destroy(i.InstanceID); err != nil {
			return fmt.Errorf("destroy unhealthy %s: %w", i.InstanceID, err)
		}
		delete(valid, i.InstanceID)
	}
	for len(e.toDie) > 0 {
		key := e.toDie[len(e.toDie)-1]
		e.toDie = e.toDie[:len(e.toDie)-1]
		id, ok := e.uniqueIDs[key]
		if !ok {
			return fmt.Errorf("unique instance %q must be terminated but none was ever launched for it", key)
		}
		if e.devmode {
			e.de = epu.DEDevmodeFailed
			continue
		}
		if err := c.Destroy(id); err != nil {
			return fmt.Errorf("destroy %s of unique instance %q: %w", id, key, err)
		}
		delete(valid, id)
		forcePending = true
	}
	for _, key := range sortedKeys(e.uniques) {
		if id, ok := e.uniqueIDs[key]; ok {
			if _, known := s.Instance(id); known && valid[id] {
				continue
			}
		}
		id, err := e.launch(c, e.uniques[key])
		if err != nil {
			return fmt.Errorf("unique instance %q: %w", key, err)
		}
		e.uniqueIDs[key] = id
		forcePending = true
	}
	unique := make(map[string]bool, len(e.uniqueIDs))
	for _, id := range e.uniqueIDs {
		unique[id] = true
	}
	var generic []string
	for _, i := range all {
		if valid[i.InstanceID] && !unique[i.InstanceID] {
			generic = append(generic, i.InstanceID)
		}
	}
	want := e.preserveN - len(e.uniques)
	switch {
	case len(generic) < want:
		forcePending = true
		for range want - len(generic) {
			if _, err := e.launch(c, nil); err != nil {
				return err
			}
		}
	case len(generic) > want:
		forcePending = true
		for _, id := range pickRandom(generic, len(generic)-want) {
			if err := c.Destroy(id); err != nil {
				return fmt.Errorf("destroy %s: %w", id, err)
			}
		}
	}
	if e.devmode && e.de == epu.DEDevmodeFailed {
		return nil
	}
	if forcePending {
		e.de = epu.DEPending
	} else {
		e.de = Stability(all, -1, c.HealthNotChecked())
	}
	return nil
}

// launch asks for one instance of the engine's target with extravars.
func (e *Npreserving) launch(c Control, extravars map[string]string) (string, error) {
	return launchOne(c, e.target, extravars)
}

func launchOne(c Control, t target, extravars map[string]string) (string, error) {
	_, id, err := c.Launch(t.dt, t.site, t.allocation, maps.Clone(extravars))
	if err != nil {
		return "", fmt.Errorf("launch: %w", err)
	}
	if id == "" {
		return "", fmt.Errorf("launch: no instance id returned")
	}
	return id, nil
}

// pickRandom returns k members of ids chosen at random (a partial
// Fisher–Yates shuffle of a copy; O(len(ids))).
func pickRandom(ids []string, k int) []string {
	c := append([]string(nil), ids...)
	for i := range k {
		j := i + rand.IntN(len(c)-i)
		c[i], c[j] = c[j], c[i]
	}
	return c[:k]
}

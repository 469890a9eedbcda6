package engine

import (
	"fmt"
	"sort"
	"time"
)

// The node attributes of the autoscale engine (Control.SetAttribute): kept
// with the instance by the controller, so a restarted controller's engine
// still knows them (Initialize reads them back).
const (
	AttrKeepAlive = "autoscale.keep_alive" // "true": the KeepAlive attribute
	AttrStopAsked = "autoscale.stop_asked" // when the node asked to stop (idle), RFC 3339
)

// setKeepAlive sets or clears a node's KeepAlive attribute: stored by the
// controller first, then in the engine.
func (e *Autoscale) setKeepAlive(c Control, id string, keep bool) error {
	v := ""
	if keep {
		v = "true"
	}
	if err := c.SetAttribute(id, AttrKeepAlive, v); err != nil {
		return fmt.Errorf("KeepAlive of %s: %w", id, err)
	}
	if keep {
		e.keepAlive[id] = true
	} else {
		delete(e.keepAlive, id)
	}
	return nil
}

// askStop remembers that a node asked to stop at now: stored by the
// controller first, then in the engine.
func (e *Autoscale) askStop(c Control, id string, now time.Time) error {
	if err := c.SetAttribute(id, AttrStopAsked, now.UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("remember the stop of %s: %w", id, err)
	}
	e.stopAsked[id] = now
	return nil
}

// restoreAttributes takes back the KeepAlive attributes and stop requests
// the live nodes of s carry (a restart at now). A stop request whose time
// does not parse still counts, as asked at now.
func (e *Autoscale) restoreAttributes(s *State, now time.Time) {
	for _, in := range s.All() {
		if bad(in.State) {
			continue
		}
		if in.Attributes[AttrKeepAlive] == "true" {
			e.keepAlive[in.InstanceID] = true
		}
		if v, ok := in.Attributes[AttrStopAsked]; ok {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				t = now
			}
			e.stopAsked[in.InstanceID] = t
		}
	}
}

// StopNode answers a node asking to stop. A node with the KeepAlive
// attribute is refused. Unhealthy: granted, destroyed now (the next
// Decide replaces it if its array still wants it). Idle: granted and
// destroyed when its array has more nodes than its target (expired
// targets want none); refused otherwise, and remembered: the node is
// terminated by the Decide that finds its array over target.
func (e *Autoscale) StopNode(c Control, s *State, req StopRequest) (StopAnswer, error) {
	now := c.Now()
	e.observe(s, now)
	id := req.NodeID
	ans := StopAnswer{NodeID: id}
	in, ok := s.Instance(id)
	switch {
	case id == "":
		return ans, badRequest("node_id", "required")
	case !ok:
		return ans, badRequest("node_id", "unknown node %q in this domain", id)
	case bad(in.State) || e.doomed[id]:
		ans.Granted, ans.Reason = true, fmt.Sprintf("already terminating (%s)", in.State)
		return ans, nil
	case e.keepAlive[id]:
		ans.Reason = "the node has the KeepAlive attribute; clear it (autoscale nodes: KeepAlive false) first"
		return ans, nil
	}
	if req.Unhealthy {
		if err := e.destroy(c, id); err != nil {
			return ans, fmt.Errorf("stop %s: %w", id, err)
		}
		ans.Granted, ans.Reason = true, "unhealthy: terminated; replaced if its array still wants it"
		return ans, nil
	}
	cs := e.count(s, now)
	name := e.arrayOf(in)
	want, have := e.target(e.arrays[name], now), len(cs.counted[name])
	counted := false
	for _, x := range cs.counted[name] {
		counted = counted || x.InstanceID == id
	}
	if counted && have <= want {
		if _, asked := e.stopAsked[id]; !asked {
			if err := e.askStop(c, id, now); err != nil {
				return ans, err
			}
		}
		ans.Reason = fmt.Sprintf("demand holds: array %q has %d nodes for a target of %d; the node is stopped once demand drops", name, have, want)
		return ans, nil
	}
	if err := e.destroy(c, id); err != nil {
		return ans, fmt.Errorf("stop %s: %w", id, err)
	}
	ans.Granted = true
	ans.Reason = fmt.Sprintf("demand allows: array %q has %d nodes for a target of %d", name, have, want)
	if !counted {
		ans.Reason = fmt.Sprintf("the node does not count against array %q (%s)", name, cs.why[id])
	}
	return ans, nil
}

// Status describes every array at c.Now(), by name.
func (e *Autoscale) Status(c Control, s *State) AutoscaleStatus {
	now := c.Now()
	e.observe(s, now)
	cs := e.count(s, now)
	out := AutoscaleStatus{Arrays: []ArrayStatus{}}
	for _, name := range sortedKeys(e.arrays) {
		a := e.arrays[name]
		st := ArrayStatus{Name: name, Dynamic: a.dynamic, Extends: a.extends, MachineType: a.machineType,
			Cores: e.coresPer(a), Target: e.target(a, now), MaxCount: a.maxCount, Nodes: len(cs.counted[name]),
			StopAsked: []string{}, KeepAlive: []string{}, GroupSize: a.groupSize, Groups: map[string]int{},
			Removing: a.removing, Config: a.config}
		if a.dynamic {
			st.RequestSet = a.set
		}
		if !a.expires.IsZero() {
			t := a.expires
			st.ExpiresAt = &t
		}
		for g, n := range cs.groups[name] {
			st.Groups[g] = n
		}
		for id, m := range e.member {
			if m != name {
				continue
			}
			if _, ok := e.stopAsked[id]; ok {
				st.StopAsked = append(st.StopAsked, id)
			}
			if e.keepAlive[id] {
				st.KeepAlive = append(st.KeepAlive, id)
			}
		}
		sort.Strings(st.StopAsked)
		sort.Strings(st.KeepAlive)
		out.Arrays = append(out.Arrays, st)
	}
	return out
}

// expired reports whether a's target no longer holds at now.
func (a *array) expired(now time.Time) bool { return a.expires.IsZero() || now.After(a.expires) }

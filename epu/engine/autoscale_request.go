package engine

import (
	"fmt"
	"maps"
	"strings"
	"time"
)

// Autoscale merges req into the node arrays (reference §2.10): each
// definition into its array; a dynamic array created when absent
// (extending Extends when named); a group request creating the dynamic
// array "<name>:<cores per group>"; every array named asserted again until
// now + the expiration interval; the dynamic arrays of req's request set
// that req does not name flagged for removal. Everything is checked
// before anything changes.
func (e *Autoscale) Autoscale(c Control, s *State, req AutoscaleRequest) (AutoscaleStatus, error) {
	now := c.Now()
	set := req.RequestSet
	if set == "" {
		set = DefaultRequestSet
	}
	if !arrayName.MatchString(set) {
		return AutoscaleStatus{}, badRequest("request_set", "want letters, digits, '.', '_' or '-', got %q", set)
	}
	interval := e.conf.expiration
	if req.ExpirationInterval != "" {
		d, err := time.ParseDuration(req.ExpirationInterval)
		if err != nil || d <= 0 {
			return AutoscaleStatus{}, badRequest("expiration_interval", "want a positive duration such as \"10m\", got %q", req.ExpirationInterval)
		}
		interval = d
	}
	if req.Arrays == nil {
		return AutoscaleStatus{}, badRequest("arrays", "required: every node array needed now (an empty list removes this request set's dynamic arrays)")
	}
	next := make(map[string]*array, len(e.arrays))
	for n, a := range e.arrays {
		cp := *a
		cp.config = maps.Clone(a.config)
		next[n] = &cp
	}
	named, plain := map[string]bool{}, map[string]bool{}
	for i, ar := range req.Arrays {
		// An array is defined once; a base array may carry several group
		// sizes, one definition each.
		name := ar.Name
		grouped := ar.TargetGroupCount != nil || ar.GroupCoreCount != nil || ar.GroupInstanceCount != nil
		if plain[name] && !grouped {
			return AutoscaleStatus{}, badRequest(fmt.Sprintf("arrays[%d].Name", i), "array %q named twice", name)
		}
		group, err := e.merge(next, ar, fmt.Sprintf("arrays[%d].", i), set, now.Add(interval))
		if err != nil {
			return AutoscaleStatus{}, err
		}
		if group != "" && named[group] {
			return AutoscaleStatus{}, badRequest(fmt.Sprintf("arrays[%d].TargetGroupCount", i), "group array %q defined twice", group)
		}
		named[name], plain[name] = true, plain[name] || !grouped
		if group != "" {
			named[group] = true
		}
	}
	for n, a := range next {
		if a.dynamic && a.set == set && !named[n] {
			a.removing = true
		}
	}
	keep := map[string]bool{}
	for i, na := range req.Nodes {
		f := fmt.Sprintf("nodes[%d].", i)
		in, ok := s.Instance(na.NodeID)
		switch {
		case na.NodeID == "":
			return AutoscaleStatus{}, badRequest(f+"NodeID", "required")
		case !ok || bad(in.State):
			return AutoscaleStatus{}, badRequest(f+"NodeID", "no live node %q in this domain", na.NodeID)
		case na.KeepAlive == nil:
			return AutoscaleStatus{}, badRequest(f+"KeepAlive", "required (true or false)")
		}
		keep[na.NodeID] = *na.KeepAlive
	}
	for _, id := range sortedKeys(keep) {
		if err := e.setKeepAlive(c, id, keep[id]); err != nil {
			return AutoscaleStatus{}, err
		}
	}
	e.arrays = next
	return e.Status(c, s), nil
}

// merge applies one definition (field names prefixed by f) to next and
// returns the group array it asserts, if any.
func (e *Autoscale) merge(next map[string]*array, ar ArrayRequest, f, set string, expires time.Time) (string, error) {
	if strings.Contains(ar.Name, ":") {
		return "", badRequest(f+"Name", "%q: arrays named base:size are made by the engine; ask with TargetGroupCount on the base array", ar.Name)
	}
	if !arrayName.MatchString(ar.Name) {
		return "", badRequest(f+"Name", "want letters, digits, '.', '_' or '-', got %q", ar.Name)
	}
	for _, n := range []struct {
		key string
		v   *int
	}{{"TargetCount", ar.TargetCount}, {"TargetCoreCount", ar.TargetCoreCount}, {"MaxCount", ar.MaxCount},
		{"MaxCoreCount", ar.MaxCoreCount}, {"Cores", ar.Cores}, {"TargetGroupCount", ar.TargetGroupCount},
		{"GroupCoreCount", ar.GroupCoreCount}, {"GroupInstanceCount", ar.GroupInstanceCount}} {
		if n.v != nil && *n.v < 0 {
			return "", badRequest(f+n.key, "%d is negative", *n.v)
		}
	}
	if ar.Cores != nil && *ar.Cores == 0 {
		return "", badRequest(f+"Cores", "want at least 1")
	}
	if err := reservedVars(ar.Configuration); err != nil {
		return "", badRequest(f+"Configuration", "%v", err)
	}
	a, exists := next[ar.Name]
	switch {
	case !exists && !ar.Dynamic:
		return "", badRequest(f+"Name", "unknown array %q (arrays: %s); set Dynamic to create one", ar.Name, strings.Join(sortedKeys(next), ", "))
	case !exists:
		a = &array{name: ar.Name, dynamic: true, set: set, config: map[string]string{}}
		if ar.Extends != "" {
			base, ok := next[ar.Extends]
			if !ok || strings.Contains(ar.Extends, ":") {
				return "", badRequest(f+"Extends", "unknown array %q", ar.Extends)
			}
			a.inherit(base)
		}
		next[ar.Name] = a
	case ar.Dynamic && !a.dynamic:
		return "", badRequest(f+"Dynamic", "%q is a configured array, not a dynamic one", ar.Name)
	case a.dynamic && a.set != set:
		return "", badRequest("request_set", "dynamic array %q belongs to request set %q", ar.Name, a.set)
	case ar.Extends != "" && ar.Extends != a.extends:
		return "", badRequest(f+"Extends", "array %q extends %q; it cannot change", ar.Name, a.extends)
	}
	a.removing = false
	a.expires = expires
	setInt(&a.targetCount, ar.TargetCount)
	setInt(&a.targetCores, ar.TargetCoreCount)
	setInt(&a.maxCount, ar.MaxCount)
	setInt(&a.maxCoreCount, ar.MaxCoreCount)
	setInt(&a.cores, ar.Cores)
	if ar.MachineType != nil {
		a.machineType = *ar.MachineType
	}
	if a.config == nil {
		a.config = map[string]string{}
	}
	maps.Copy(a.config, ar.Configuration)
	if ar.TargetGroupCount == nil && ar.GroupCoreCount == nil && ar.GroupInstanceCount == nil {
		return "", nil
	}
	return e.mergeGroup(next, a, ar, f, set, expires)
}

// mergeGroup applies a group request on base array a.
func (e *Autoscale) mergeGroup(next map[string]*array, a *array, ar ArrayRequest, f, set string, expires time.Time) (string, error) {
	switch {
	case ar.TargetGroupCount == nil:
		return "", badRequest(f+"TargetGroupCount", "required with GroupCoreCount or GroupInstanceCount")
	case (ar.GroupCoreCount == nil) == (ar.GroupInstanceCount == nil):
		return "", badRequest(f+"GroupCoreCount", "give GroupCoreCount or GroupInstanceCount, one of them")
	}
	cores := e.coresPer(a)
	var size, label int
	if ar.GroupCoreCount != nil {
		gc := *ar.GroupCoreCount
		if gc < cores || gc%cores != 0 {
			return "", badRequest(f+"GroupCoreCount", "%d cores is no whole number of %q nodes of %d cores", gc, a.name, cores)
		}
		size, label = gc/cores, gc
	} else {
		size = *ar.GroupInstanceCount
		if size < 1 {
			return "", badRequest(f+"GroupInstanceCount", "want at least 1")
		}
		label = size * cores
	}
	if a.maxCount > 0 && size > a.maxCount {
		return "", badRequest(f+"GroupCoreCount", "a group of %d nodes exceeds MaxCount %d of %q", size, a.maxCount, a.name)
	}
	name := fmt.Sprintf("%s:%d", a.name, label)
	g, ok := next[name]
	switch {
	case !ok:
		g = &array{name: name, dynamic: true, extends: a.name, set: set}
		g.inherit(a)
		next[name] = g
	case g.set != set:
		return "", badRequest("request_set", "dynamic array %q belongs to request set %q", name, g.set)
	}
	g.groupSize, g.targetGroups = size, *ar.TargetGroupCount
	g.removing, g.expires = false, expires
	return name, nil
}

// inherit copies base's attributes (not its targets) into a.
func (a *array) inherit(base *array) {
	a.extends = base.name
	a.machineType, a.cores, a.maxCount, a.maxCoreCount = base.machineType, base.cores, base.maxCount, base.maxCoreCount
	a.config = maps.Clone(base.config)
	if a.config == nil {
		a.config = map[string]string{}
	}
}

func setInt(dst *int, v *int) {
	if v != nil {
		*dst = *v
	}
}

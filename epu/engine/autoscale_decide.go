package engine

import (
	"errors"
	"fmt"
	"maps"
	"sort"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
)

// census is the engine's count of a snapshot: each array's nodes that
// count against its target (live, healthy, booting within the boot
// timeout, not destroyed by the engine), and those to replace.
type census struct {
	counted map[string][]Instance     // array → counted nodes, by id
	live    map[string]int            // array → nodes in no bad state (deletion waits for 0)
	groups  map[string]map[string]int // array → group id → counted nodes
	replace []Instance                // unhealthy, or not RUNNING within the boot timeout
	why     map[string]string         // node to replace → why
	total   int                       // live nodes not destroyed, every array
	cores   int                       // their cores
}

// observe records the nodes of s the engine has not seen (their array,
// the time they were first seen) and forgets those gone or ending.
func (e *Autoscale) observe(s *State, now time.Time) {
	for id := range e.firstSeen {
		if in, ok := s.Instance(id); !ok || bad(in.State) {
			delete(e.firstSeen, id)
			delete(e.member, id)
			delete(e.stopAsked, id)
			delete(e.doomed, id)
			delete(e.keepAlive, id)
		}
	}
	for _, in := range s.All() {
		if _, ok := e.firstSeen[in.InstanceID]; ok || bad(in.State) {
			continue
		}
		e.firstSeen[in.InstanceID] = now
		e.member[in.InstanceID] = e.arrayOf(in)
	}
}

// arrayOf is the array an instance belongs to: the one its extravars
// name, else the default array.
func (e *Autoscale) arrayOf(in Instance) string {
	if n := in.Extravars[ArrayVar]; n != "" {
		if _, ok := e.arrays[n]; ok {
			return n
		}
	}
	return e.conf.defaultArray
}

func (e *Autoscale) count(s *State, now time.Time) census {
	cs := census{counted: map[string][]Instance{}, live: map[string]int{}, groups: map[string]map[string]int{}, why: map[string]string{}}
	unhealthy := map[string]bool{}
	for _, in := range s.Unhealthy() {
		unhealthy[in.InstanceID] = true
	}
	for _, in := range s.All() {
		if bad(in.State) {
			continue
		}
		name := e.arrayOf(in)
		cs.live[name]++
		if e.doomed[in.InstanceID] {
			continue
		}
		cs.total++
		cs.cores += e.coresPer(e.arrays[name])
		switch {
		case unhealthy[in.InstanceID]:
			cs.replace = append(cs.replace, in)
			cs.why[in.InstanceID] = fmt.Sprintf("unhealthy (%s, %s)", in.State, in.Health)
			continue
		case in.State.Before(epu.Running) && !e.keepAlive[in.InstanceID] && now.Sub(e.firstSeen[in.InstanceID]) > e.conf.bootTimeout:
			cs.replace = append(cs.replace, in)
			cs.why[in.InstanceID] = fmt.Sprintf("not RUNNING %v after launch (boot_timeout %v)", now.Sub(e.firstSeen[in.InstanceID]), e.conf.bootTimeout)
			continue
		}
		cs.counted[name] = append(cs.counted[name], in)
		if g := in.Extravars[GroupVar]; g != "" {
			if cs.groups[name] == nil {
				cs.groups[name] = map[string]int{}
			}
			cs.groups[name][g]++
		}
	}
	return cs
}

// Decide replaces unhealthy nodes and nodes not RUNNING within the boot
// timeout (a node with the KeepAlive attribute is kept, and not counted),
// launches what each array lacks within the caps, terminates the nodes
// that asked to stop while an array has more than its target, and deletes
// the dynamic arrays flagged for removal once they have no node.
func (e *Autoscale) Decide(c Control, s *State) error {
	now := c.Now()
	e.observe(s, now)
	cs := e.count(s, now)
	var errs []error
	for _, in := range cs.replace {
		if e.keepAlive[in.InstanceID] {
			continue
		}
		if err := e.destroy(c, in.InstanceID); err != nil {
			errs = append(errs, fmt.Errorf("replace %s, %s: %w", in.InstanceID, cs.why[in.InstanceID], err))
		}
	}
	short := false
	for _, name := range sortedKeys(e.arrays) {
		a := e.arrays[name]
		want, have := e.target(a, now), len(cs.counted[name])
		switch {
		case have < want:
			short = true
			if err := e.grow(c, a, &cs, want-have, now); err != nil {
				errs = append(errs, fmt.Errorf("array %q: %w", name, err))
			}
		case have > want:
			errs = append(errs, e.shrink(c, cs.counted[name], have-want)...)
		}
		if a.removing && cs.live[name] == 0 {
			delete(e.arrays, name)
		}
	}
	var counted []Instance
	for _, ins := range cs.counted {
		counted = append(counted, ins...)
	}
	switch {
	case short || len(cs.replace) > 0:
		e.de = epu.DEPending
	default:
		e.de = Stability(counted, -1, c.HealthNotChecked())
	}
	return errors.Join(errs...)
}

// ErrClusterCap is returned when max_count or max_core_count stops a
// launch.
var ErrClusterCap = errors.New("cluster cap reached")

// grow launches n nodes of a, within the cluster caps; a grouped array
// fills its groups with fewest missing first, then new groups.
func (e *Autoscale) grow(c Control, a *array, cs *census, n int, now time.Time) error {
	cores := e.coresPer(a)
	var gids []string
	if a.groupSize > 0 {
		gids = e.groupSlots(a, cs.groups[a.name], n)
	}
	for i := range n {
		if e.conf.maxCount > 0 && cs.total >= e.conf.maxCount {
			return fmt.Errorf("%w: %s %d", ErrClusterCap, MaxCountKey, e.conf.maxCount)
		}
		if e.conf.maxCoreCount > 0 && cs.cores+cores > e.conf.maxCoreCount {
			return fmt.Errorf("%w: %s %d", ErrClusterCap, MaxCoreCountKey, e.conf.maxCoreCount)
		}
		vars := maps.Clone(a.config)
		if vars == nil {
			vars = map[string]string{}
		}
		// Every worker carries both vars (the group id empty outside a
		// group), so one bootconf template serves every array.
		vars[ArrayVar], vars[GroupVar] = a.name, ""
		if gids != nil {
			vars[GroupVar] = gids[i]
		}
		id, err := launchOne(c, target{allocation: a.machineType}, vars)
		if err != nil {
			return err
		}
		e.firstSeen[id], e.member[id] = now, a.name
		cs.total++
		cs.cores += cores
	}
	return nil
}

// groupSlots returns the group id of each of n launches: first the
// existing groups short of a.groupSize (by id), then new groups.
func (e *Autoscale) groupSlots(a *array, groups map[string]int, n int) []string {
	var out []string
	for _, g := range sortedKeys(groups) {
		for k := groups[g]; k < a.groupSize && len(out) < n; k++ {
			out = append(out, g)
		}
	}
	for len(out) < n {
		g := e.newGroupID(a.name, groups)
		for k := 0; k < a.groupSize && len(out) < n; k++ {
			out = append(out, g)
		}
	}
	return out
}

// newGroupID returns an id no node of the array carries: "<array>-g<n>".
func (e *Autoscale) newGroupID(name string, used map[string]int) string {
	for {
		e.groupSeq++
		g := fmt.Sprintf("%s-g%d", name, e.groupSeq)
		if _, taken := used[g]; !taken {
			return g
		}
	}
}

// shrink terminates up to n of the counted nodes that asked to stop and
// have no KeepAlive attribute, those that asked first first.
func (e *Autoscale) shrink(c Control, counted []Instance, n int) []error {
	var asked []Instance
	for _, in := range counted {
		if _, ok := e.stopAsked[in.InstanceID]; ok && !e.keepAlive[in.InstanceID] {
			asked = append(asked, in)
		}
	}
	sort.SliceStable(asked, func(i, j int) bool {
		return e.stopAsked[asked[i].InstanceID].Before(e.stopAsked[asked[j].InstanceID])
	})
	var errs []error
	for _, in := range asked[:min(n, len(asked))] {
		if err := e.destroy(c, in.InstanceID); err != nil {
			errs = append(errs, fmt.Errorf("scale down %s: %w", in.InstanceID, err))
		}
	}
	return errs
}

// destroy asks for a node's termination and stops counting it.
func (e *Autoscale) destroy(c Control, id string) error {
	if err := c.Destroy(id); err != nil {
		return err
	}
	e.doomed[id] = true
	delete(e.stopAsked, id)
	return nil
}

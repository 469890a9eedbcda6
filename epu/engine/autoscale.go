package engine

import (
	"fmt"
	"maps"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
)

// Autoscale sizes a domain from requests, with CycleCloud's cluster-side
// semantics (reference §2.10, docs/autoscale.md): node arrays with
// targets in nodes or cores, bounded by caps; requests merged into the
// arrays; dynamic arrays created on demand and removed when omitted from
// their request set; targets that expire unless asserted again; grouped
// nodes; scale-down only of nodes that asked to stop (negotiated), never
// of a node with the KeepAlive attribute; unhealthy nodes and nodes that
// never finished booting replaced. Make one with NewAutoscale.
type Autoscale struct {
	conf   autoscaleConf
	arrays map[string]*array

	keepAlive map[string]bool      // node → KeepAlive attribute
	stopAsked map[string]time.Time // node → when it asked to stop (idle)
	doomed    map[string]bool      // nodes this engine destroyed, not yet TERMINATING
	firstSeen map[string]time.Time // node → its launch, or when the engine first saw it
	member    map[string]string    // node → its array
	groupSeq  int                  // the last group number given
	de        epu.DEState
}

// array is one node array at run time.
type array struct {
	name, extends string
	dynamic       bool
	set           string // the request set of a dynamic array
	machineType   string
	cores         int // per node; 0: from the machine type or the engine's cores
	targetCount   int
	targetCores   int
	maxCount      int
	maxCoreCount  int
	groupSize     int // instances per group; 0: not grouped
	targetGroups  int
	config        map[string]string
	expires       time.Time // zero: never asserted
	removing      bool
}

var (
	_ Requester    = (*Autoscale)(nil)
	_ ConfReporter = (*Autoscale)(nil)
)

// NewAutoscale returns an autoscale engine with the one array "execute"
// and no target.
func NewAutoscale() *Autoscale {
	e := &Autoscale{conf: defaultAutoscaleConf(), arrays: map[string]*array{}, keepAlive: map[string]bool{},
		stopAsked: map[string]time.Time{}, doomed: map[string]bool{}, firstSeen: map[string]time.Time{},
		member: map[string]string{}, de: epu.DEPending}
	e.applyConf(e.conf)
	return e
}

// Initialize reads the configuration (docs/autoscale.md), sets the decide
// period to 5 s and adopts the instances of s: each into the array its
// extravars name (a dynamic array it names is recreated, flagged for
// removal: its targets were not persisted), others into the default
// array, with the KeepAlive attribute and stop request its Attributes
// carry.
func (e *Autoscale) Initialize(c Control, s *State, conf Conf) error {
	nc, err := readAutoscaleConf(conf, e.conf)
	if err != nil {
		return err
	}
	e.applyConf(nc)
	e.restoreAttributes(s, c.Now())
	for _, in := range s.All() {
		name := in.Extravars[ArrayVar]
		if _, ok := e.arrays[name]; bad(in.State) || name == "" || ok {
			continue
		}
		e.arrays[name] = &array{name: name, dynamic: true, set: DefaultRequestSet, removing: true}
	}
	e.observe(s, c.Now())
	return c.Configure(Conf{PulseKey: defaultPulseMillis})
}

// Reconfigure applies the keys of newconf present, all checked before
// anything changes. A configured array that still has nodes, or that a
// dynamic array extends, cannot be removed.
func (e *Autoscale) Reconfigure(c Control, newconf Conf) error {
	nc, err := readAutoscaleConf(newconf, e.conf)
	if err != nil {
		return err
	}
	for name, a := range e.arrays {
		if a.dynamic {
			if _, ok := nc.arrays[a.extends]; a.extends != "" && !ok && !e.isDynamic(a.extends) {
				return badConf(ArraysKey, "array %q is extended by the dynamic array %q", a.extends, name)
			}
			continue
		}
		if _, ok := nc.arrays[name]; !ok && e.hasNodes(name) {
			return badConf(ArraysKey, "array %q still has nodes", name)
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
	e.applyConf(nc)
	return nil
}

// applyConf installs nc: configured arrays keep their targets and take
// the new attributes; arrays no longer configured go.
func (e *Autoscale) applyConf(nc autoscaleConf) {
	for name, a := range e.arrays {
		if _, ok := nc.arrays[name]; !ok && !a.dynamic {
			delete(e.arrays, name)
		}
	}
	for name, d := range nc.arrays {
		a, ok := e.arrays[name]
		if !ok {
			a = &array{name: name}
			e.arrays[name] = a
		}
		a.machineType, a.cores, a.maxCount, a.maxCoreCount = d.machineType, d.cores, d.maxCount, d.maxCoreCount
		a.config = maps.Clone(d.config)
	}
	e.conf = nc
}

func (e *Autoscale) isDynamic(name string) bool {
	a, ok := e.arrays[name]
	return ok && a.dynamic
}

// hasNodes reports whether an array has a node the engine knows of.
func (e *Autoscale) hasNodes(name string) bool {
	for _, a := range e.member {
		if a == name {
			return true
		}
	}
	return false
}

// DEState is the verdict of the last Decide.
func (e *Autoscale) DEState() epu.DEState { return e.de }

// ConfReport describes the engine in one line.
func (e *Autoscale) ConfReport() string {
	return fmt.Sprintf("AutoscaleEngine: %d arrays (default %s), cores %d, expiration %v, boot timeout %v, max_count %d, max_core_count %d",
		len(e.arrays), e.conf.defaultArray, e.conf.cores, e.conf.expiration, e.conf.bootTimeout, e.conf.maxCount, e.conf.maxCoreCount)
}

// coresPer returns the cores of one node of a: its Cores, its machine
// type's, or the engine's cores.
func (e *Autoscale) coresPer(a *array) int {
	if a.cores > 0 {
		return a.cores
	}
	if a.machineType != "" {
		if n := e.conf.coresOf(a.machineType); n > 0 {
			return n
		}
	}
	return e.conf.cores
}

// target is the number of nodes a wants at now: none once removing or
// expired; else TargetCount, or TargetCoreCount in nodes, whichever is
// more (groups: TargetGroupCount whole groups); bounded by MaxCount and
// MaxCoreCount (groups: whole groups within them).
func (e *Autoscale) target(a *array, now time.Time) int {
	if a.removing || a.expired(now) {
		return 0
	}
	cores := e.coresPer(a)
	n := a.targetCount
	if a.targetCores > 0 {
		n = max(n, (a.targetCores+cores-1)/cores)
	}
	if a.groupSize > 0 {
		n = a.targetGroups * a.groupSize
	}
	limit := -1
	if a.maxCount > 0 {
		limit = a.maxCount
	}
	if a.maxCoreCount > 0 && (limit < 0 || a.maxCoreCount/cores < limit) {
		limit = a.maxCoreCount / cores
	}
	if limit >= 0 && n > limit {
		n = limit
		if a.groupSize > 0 {
			n -= n % a.groupSize
		}
	}
	return n
}

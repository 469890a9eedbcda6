// Package bootlevel is the engine: it runs the levels of a plan in order and
// the services of a level concurrently, records every transition in the store
// before and after its side effect, and reports events to an Observer.
//
// [Record] writes a loaded plan into a run record; an [Engine] then runs the
// commands (Boot, Status, Repair, Reboot, Terminate, History, Clean,
// Validate) from the record alone, so a later process on the reopened record
// continues the run. The interfaces it consumes are defined here:
// [Connector] (hosts) and [Observer] (events). It uses the optional driver
// abilities of package iaas (RunFinder, ScopeAdder, SpecValidator, Warner,
// SSHKeyProvider), found with iaas.As. See docs/engine.md for the pipelines, states
// and crash safety.
//
// bootlevel may import plan, iaas, remote, verify and store; it never imports
// a concrete driver (iaas/...) or anything under cmd.
package bootlevel

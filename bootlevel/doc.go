// Package bootlevel is the engine: it runs the levels of a plan in order and
// the services of a level concurrently, records every transition in the store
// before and after its side effect, and reports events to an Observer.
//
// bootlevel may import plan, iaas, remote, verify and store; it never imports
// a concrete driver (iaas/...) or anything under cmd.
package bootlevel

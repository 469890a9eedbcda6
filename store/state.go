package store

import "fmt"

// State is the life-cycle state of a service, stored as text in the
// service.state column.
type State string

// Service states, in the order a healthy service passes through them.
const (
	StateNew            State = "new"            // row created at plan load
	StateLaunching      State = "launching"      // launch intent recorded, IaaS call under way
	StateLaunched       State = "launched"       // instance id known
	StateRunning        State = "running"        // instance running, hostname known
	StateBooting        State = "booting"        // boot program running
	StateContextualized State = "contextualized" // boot program done (or none)
	StateReady          State = "ready"          // ready program passed
	StateFailed         State = "failed"         // a step failed; see last_error
	StateTerminating    State = "terminating"    // terminate steps under way
	StateTerminated     State = "terminated"     // IaaS terminate returned, or nothing to terminate
)

// States lists every valid state.
func States() []State {
	return []State{StateNew, StateLaunching, StateLaunched, StateRunning, StateBooting,
		StateContextualized, StateReady, StateFailed, StateTerminating, StateTerminated}
}

// Valid reports whether s is one of the states above.
func (s State) Valid() bool {
	switch s {
	case StateNew, StateLaunching, StateLaunched, StateRunning, StateBooting,
		StateContextualized, StateReady, StateFailed, StateTerminating, StateTerminated:
		return true
	}
	return false
}

// Original returns the number the Python cloudinit.d stored for s
// (0 initial, 2 launched, 4 contextualized, 6 terminated). Failed has no
// number of its own, and terminating kept the number of the state it left:
// for those two ok is false.
func (s State) Original() (code int, ok bool) {
	switch s {
	case StateNew, StateLaunching:
		return 0, true
	case StateLaunched, StateRunning, StateBooting:
		return 2, true
	case StateContextualized, StateReady:
		return 4, true
	case StateTerminated:
		return 6, true
	}
	return 0, false
}

func (s State) check() error {
	if !s.Valid() {
		return fmt.Errorf("invalid service state %q", string(s))
	}
	return nil
}

// RunStatus is the status of the run as a whole (run.status).
type RunStatus string

// Run statuses.
const (
	RunNew         RunStatus = "new"         // plan loaded, nothing executed
	RunBooting     RunStatus = "booting"     // a boot, reboot or repair is under way
	RunUp          RunStatus = "up"          // last boot/status/repair ended without error
	RunFailed      RunStatus = "failed"      // last command ended with an error
	RunTerminating RunStatus = "terminating" // a terminate is under way
	RunTerminated  RunStatus = "terminated"  // every service terminated
	// RunInterrupted: the last boot, check or terminate was stopped
	// (Ctrl-C, a signal) before it finished.
	RunInterrupted RunStatus = "interrupted"
)

// Origin says where an attribute-bag entry came from.
type Origin string

// Attribute origins.
const (
	OriginDeps    Origin = "deps"    // a deps file of the plan
	OriginBootout Origin = "bootout" // bootout.json fetched after the boot program
)

package iaas

// State is where an instance is in its life.
type State int

// States of an instance, in the order they are normally reached.
const (
	StateUnknown State = iota
	StatePending
	StateRunning
	StateTerminating
	StateTerminated
	StateFailed
)

var stateNames = [...]string{"unknown", "pending", "running", "terminating", "terminated", "failed"}

// String returns the lower-case name of the state.
func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return "unknown"
	}
	return stateNames[s]
}

// Final reports whether the instance will never run again.
func (s State) Final() bool { return s == StateTerminated || s == StateFailed }

// ParseState is the inverse of String; it returns StateUnknown for any other
// text.
func ParseState(s string) State {
	for i, n := range stateNames {
		if n == s {
			return State(i)
		}
	}
	return StateUnknown
}

package epu

import (
	"fmt"
	"strconv"
	"strings"
)

// State is the state of a node or a launch, written as the original wrote
// it: a three-digit number, a dash and a name ("600-RUNNING"). States are
// ordered by their number (never as strings) and a record only moves
// forward, except through the failure paths the provisioner documents.
type State string

// The states of reference §2.2, in order.
const (
	Requesting    State = "100-REQUESTING"     // the controller recorded the launch, the provisioner has not acknowledged it
	Requested     State = "200-REQUESTED"      // the provisioner stored the request
	ErrorRetrying State = "300-ERROR_RETRYING" // an error, still being attempted (the cloud says "unknown")
	Pending       State = "400-PENDING"        // the cloud accepted the launch; booting
	Started       State = "500-STARTED"        // the cloud says running
	Running       State = "600-RUNNING"        // contextualized: the ready program passed
	RunningFailed State = "650-RUNNING_FAILED" // started, but contextualization failed
	Terminating   State = "700-TERMINATING"    // termination requested
	Terminated    State = "800-TERMINATED"     // gone from the cloud
	Failed        State = "900-FAILED"         // failed, will not be retried
	Rejected      State = "950-REJECTED"       // refused, e.g. the provisioner is disabled
)

// States lists every state in order.
var States = []State{Requesting, Requested, ErrorRetrying, Pending, Started, Running, RunningFailed, Terminating, Terminated, Failed, Rejected}

// ParseState returns the state s names: its full form ("600-RUNNING"), its
// name alone ("RUNNING", any case) or its number ("600").
func ParseState(s string) (State, error) {
	t := strings.TrimSpace(s)
	for _, st := range States {
		num, name, _ := strings.Cut(string(st), "-")
		if t == string(st) || t == num || strings.EqualFold(t, name) {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown node state %q (want one of 100-REQUESTING … 950-REJECTED)", s)
}

// Number is the numeric prefix of s; 0 for a value that has none.
func (s State) Number() int {
	num, _, _ := strings.Cut(string(s), "-")
	n, err := strconv.Atoi(num)
	if err != nil {
		return 0
	}
	return n
}

// Name is the state without its number ("RUNNING").
func (s State) Name() string {
	_, name, ok := strings.Cut(string(s), "-")
	if !ok {
		return string(s)
	}
	return name
}

// Valid reports whether s is one of States.
func (s State) Valid() bool {
	for _, st := range States {
		if s == st {
			return true
		}
	}
	return false
}

// Before reports whether s comes before t.
func (s State) Before(t State) bool { return s.Number() < t.Number() }

// After reports whether s comes after t.
func (s State) After(t State) bool { return s.Number() > t.Number() }

// Between reports whether lo ≤ s < hi, by number.
func (s State) Between(lo, hi State) bool {
	return s.Number() >= lo.Number() && s.Number() < hi.Number()
}

// Final reports whether s is an end: TERMINATED, FAILED or REJECTED.
func (s State) Final() bool { return s == Terminated || s == Failed || s == Rejected }

// Health is what the controller's health monitor says of a node
// (reference §2.4).
type Health string

// Health values.
const (
	HealthUnknown      Health = "UNKNOWN"
	HealthOK           Health = "OK"
	HealthMonitorError Health = "MONITOR_ERROR"
	HealthProcessError Health = "PROCESS_ERROR"
	HealthMissing      Health = "MISSING"
	HealthZombie       Health = "ZOMBIE"
)

// Healthy reports whether h does not count against a node: OK or UNKNOWN.
func (h Health) Healthy() bool { return h == HealthOK || h == HealthUnknown || h == "" }

// DEState is a decision engine's verdict on its domain.
type DEState string

// Decision-engine states (reference §2.2).
const (
	DEPending       DEState = "PENDING_DE"
	DEStable        DEState = "STABLE_DE"
	DEUnknown       DEState = "UNKNOWN"
	DEDevmodeFailed DEState = "DEVMODE_FAILED_DE"
)

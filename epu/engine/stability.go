package engine

import (
	"fmt"
	"strings"

	"github.com/cloudinitd/cloudinitd/epu"
)

// Stability is the verdict of the original's shared helper _set_state
// (reference §2.5): with needed ≥ 0, a count of instances other than needed
// is PENDING; any instance before RUNNING is PENDING; when health is
// checked, an instance exactly RUNNING whose health is not OK is PENDING;
// otherwise STABLE. Instances at RUNNING_FAILED or later (failed,
// terminating, terminated) never block stability. needed < 0 disregards
// the count.
func Stability(all []Instance, needed int, healthNotChecked bool) epu.DEState {
	if needed >= 0 && len(all) != needed {
		return epu.DEPending
	}
	for _, i := range all {
		if i.State.Before(epu.Running) {
			return epu.DEPending
		}
		if !healthNotChecked && i.State == epu.Running && i.Health != epu.HealthOK {
			return epu.DEPending
		}
	}
	return epu.DEStable
}

// DevmodeKey is the configuration key that, when "true", stops an engine
// from compensating failures (development and integration tests).
const DevmodeKey = "devmode_no_failure_compensation"

// Devmode returns the devmode setting after conf (reference §2.5): absent
// keeps cur; present, it is on only for a string equal to "true" after
// trimming and lower-casing; any other value (another string, a boolean,
// null) turns it off.
func Devmode(conf Conf, cur bool) bool {
	v, ok := conf[DevmodeKey]
	if !ok {
		return cur
	}
	s, isString := v.(string)
	return isString && strings.ToLower(strings.TrimSpace(s)) == "true"
}

// bad reports whether s is one of the original's BAD_STATES: TERMINATING,
// TERMINATED or FAILED. An instance in any other state, REJECTED included
// (the original's engines do not list it), is valid.
func bad(s epu.State) bool {
	return s == epu.Terminating || s == epu.Terminated || s == epu.Failed
}

// validIDs is the set of the ids of the instances in all not in a bad
// state.
func validIDs(all []Instance) map[string]bool {
	valid := make(map[string]bool, len(all))
	for _, i := range all {
		if !bad(i.State) {
			valid[i.InstanceID] = true
		}
	}
	return valid
}

// destroyUnhealthy destroys each unhealthy instance of s through c and
// takes it out of valid; it stops at the first failure.
func destroyUnhealthy(c Control, s *State, valid map[string]bool) error {
	for _, i := range s.Unhealthy() {
		if err := c.Destroy(i.InstanceID); err != nil {
			return fmt.Errorf("destroy unhealthy %s: %w", i.InstanceID, err)
		}
		delete(valid, i.InstanceID)
	}
	return nil
}

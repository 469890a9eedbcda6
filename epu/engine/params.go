package engine

import (
	"fmt"
	"time"
)

// Params is a Control.Configure request, parsed: the decide period
// ("timed-pulse-irregular", milliseconds) and the provisioner vars
// ("provisioner_vars", replacing the previous ones), each with whether it
// was asked.
type Params struct {
	Pulse           time.Duration
	HasPulse        bool
	ProvisionerVars map[string]string
	HasVars         bool
}

// ParseParams reads a Control.Configure request; controllers and test
// doubles share it. An unknown key, a period that is not a positive
// integer of milliseconds, or vars that are not an object of scalars, is
// an ErrBadConf error naming the key.
func ParseParams(p Conf) (Params, error) {
	var out Params
	for _, k := range sortedKeys(p) {
		switch k {
		case PulseKey:
			ms, _, err := confInt(p, k)
			if err != nil {
				return Params{}, err
			}
			if ms <= 0 {
				return Params{}, badConf(k, "%d is not a positive number of milliseconds", ms)
			}
			out.Pulse, out.HasPulse = time.Duration(ms)*time.Millisecond, true
		case ProvisionerVarsKey:
			v, err := vars(k, p[k])
			if err != nil {
				return Params{}, err
			}
			out.ProvisionerVars, out.HasVars = v, true
		default:
			return Params{}, badConf(k, "not a controller parameter (want %s or %s)", PulseKey, ProvisionerVarsKey)
		}
	}
	if !out.HasPulse && !out.HasVars {
		return Params{}, fmt.Errorf("%w: configure without parameters", ErrBadConf)
	}
	return out, nil
}

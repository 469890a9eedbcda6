package fake

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// Option keys a service's LaunchSpec.Options may carry, and the environment
// variables that set the same knob for every service. A service's option
// wins over the environment, which wins over the default.
const (
	KeyLaunchDelay    = "fake_launch_delay"    // Launch call latency (default 0)
	KeyRunningDelay   = "fake_running_delay"   // pending -> running (default 1s)
	KeyTerminateDelay = "fake_terminate_delay" // terminating -> terminated (default 1s)
	KeyErrorRate      = "fake_error_rate"      // share of launches failing ErrTransient (0..1)
	KeySeed           = "fake_seed"            // seed of the error draw (default 0)
	KeyCapacity       = "fake_capacity"        // max live instances in the fake cloud (0: no limit)
	KeyDieAfter       = "fake_die_after"       // running -> failed after this (0: never)
	KeyDryRun         = "fake_dry_run"         // true: every delay 0, handle marked dry run

	// EnvLegacyRunningDelay is the original cloudinit.d variable for the
	// running delay; CLOUDINITD_FAKE_RUNNING_DELAY takes precedence.
	EnvLegacyRunningDelay = "CLOUDINITD_CBIAAS_TEST_HOSTNAME_TIME"
	// EnvMemory, when true, makes [Factory] keep instances in memory only.
	EnvMemory = "CLOUDINITD_FAKE_MEMORY"
)

// EnvVar returns the environment variable for an option key:
// "fake_launch_delay" -> "CLOUDINITD_FAKE_LAUNCH_DELAY".
func EnvVar(key string) string {
	switch key { // the option keys, spelled out: every launch reads them (parseKnobs)
	case KeyLaunchDelay:
		return "CLOUDINITD_FAKE_LAUNCH_DELAY"
	case KeyRunningDelay:
		return "CLOUDINITD_FAKE_RUNNING_DELAY"
	case KeyTerminateDelay:
		return "CLOUDINITD_FAKE_TERMINATE_DELAY"
	case KeyErrorRate:
		return "CLOUDINITD_FAKE_ERROR_RATE"
	case KeySeed:
		return "CLOUDINITD_FAKE_SEED"
	case KeyCapacity:
		return "CLOUDINITD_FAKE_CAPACITY"
	case KeyDieAfter:
		return "CLOUDINITD_FAKE_DIE_AFTER"
	case KeyDryRun:
		return "CLOUDINITD_FAKE_DRY_RUN"
	}
	return "CLOUDINITD_" + strings.ToUpper(key)
}

// Default delays.
const (
	DefaultRunningDelay   = time.Second
	DefaultTerminateDelay = time.Second
)

// knobs are one launch's simulated behaviour.
type knobs struct {
	launchDelay, runningDelay, terminateDelay, dieAfter time.Duration

	errorRate float64
	seed      uint64
	capacity  int
	dryRun    bool
}

// parseKnobs reads the knobs from the service's options, then the
// environment, then the defaults. A bad value is an ErrPermanent naming
// the key (or variable) it came from.
func parseKnobs(opts map[string]string, env func(string) (string, bool)) (knobs, error) {
	k := knobs{runningDelay: DefaultRunningDelay, terminateDelay: DefaultTerminateDelay}
	lookup := func(key string) (val, from string, ok bool) {
		if v, ok := opts[key]; ok {
			return v, key, true
		}
		if v, ok := env(EnvVar(key)); ok && v != "" {
			return v, EnvVar(key), true
		}
		if key == KeyRunningDelay {
			if v, ok := env(EnvLegacyRunningDelay); ok && v != "" {
				return v, EnvLegacyRunningDelay, true
			}
		}
		return "", "", false
	}
	var errs []string
	bad := func(from, val, want string) {
		errs = append(errs, fmt.Sprintf("%s: invalid value %q: want %s", from, val, want))
	}
	for _, d := range [...]struct {
		key string
		dst *time.Duration
	}{{KeyLaunchDelay, &k.launchDelay}, {KeyRunningDelay, &k.runningDelay},
		{KeyTerminateDelay, &k.terminateDelay}, {KeyDieAfter, &k.dieAfter}} {
		key, dst := d.key, d.dst
		if v, from, ok := lookup(key); ok {
			d, err := parseDelay(v)
			if err != nil {
				bad(from, v, "seconds (1.5) or a duration (500ms), not negative")
			}
			*dst = d
		}
	}
	if v, from, ok := lookup(KeyErrorRate); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 || f > 1 {
			bad(from, v, "a number from 0 to 1")
		}
		k.errorRate = f
	}
	if v, from, ok := lookup(KeySeed); ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			bad(from, v, "an integer")
		}
		k.seed = uint64(n)
	}
	if v, from, ok := lookup(KeyCapacity); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			bad(from, v, "a whole number, 0 for no limit")
		}
		k.capacity = n
	}
	if v, from, ok := lookup(KeyDryRun); ok {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			bad(from, v, "true or false")
		}
		k.dryRun = b
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		return knobs{}, &iaas.CloudError{Class: iaas.ErrPermanent, Op: "launch",
			Message: "fake: " + strings.Join(errs, "; ")}
	}
	if k.dryRun {
		k.launchDelay, k.runningDelay, k.terminateDelay = 0, 0, 0
	}
	return k, nil
}

// parseDelay reads seconds as a float ("1", "0.25") or a Go duration
// ("500ms").
func parseDelay(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 || f > 1e9 {
			return 0, fmt.Errorf("out of range")
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad delay")
	}
	return d, nil
}

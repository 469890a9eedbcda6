package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Keys shared by the engines and the controller.
const (
	PulseKey           = "timed-pulse-irregular" // Control.Configure: decide period in milliseconds
	ProvisionerVarsKey = "provisioner_vars"      // Control.Configure: vars sent with every launch
	defaultPulseMillis = 5000
)

// Keys naming what the npreserving and queuelen engines launch (reference
// §2.6). An absent key means the domain's own: its deployable type, and
// that type's site (iaas) and allocation.
const (
	TypeKey       = "epuworker_type"
	SiteKey       = "force_site"
	AllocationKey = "epuworker_allocation"
)

// badConf returns an ErrBadConf error naming key.
func badConf(key, format string, args ...any) error {
	return fmt.Errorf("%s: %w: %s", key, ErrBadConf, fmt.Sprintf(format, args...))
}

// confInt reads key as an integer (see toInt). found is false when the
// key is absent.
func confInt(conf Conf, key string) (n int, found bool, err error) {
	v, ok := conf[key]
	if !ok {
		return 0, false, nil
	}
	n, ok = toInt(v)
	if !ok {
		return 0, true, badConf(key, "%s is not an integer", show(v))
	}
	return n, true, nil
}

// toInt reads v as the original's int() does for the values JSON gives: a
// number without a fraction, a Go integer, or a string holding a base-10
// integer (spaces trimmed).
func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) || math.Abs(x) > 1<<53 {
			return 0, false
		}
		return int(x), true
	case json.Number:
		i, err := strconv.Atoi(string(x))
		return i, err == nil
	case string:
		i, err := strconv.Atoi(strings.TrimSpace(x))
		return i, err == nil
	}
	return 0, false
}

// show renders a configuration value in an error: strings quoted, others
// with their type.
func show(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	if _, ok := scalar(v); ok {
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("%v (%T)", v, v)
}

// confCount is confInt refusing negative values.
func confCount(conf Conf, key string) (int, bool, error) {
	n, found, err := confInt(conf, key)
	if err == nil && n < 0 {
		err = badConf(key, "%d is negative", n)
	}
	return n, found, err
}

// confFloat reads key as a number or a string holding one.
func confFloat(conf Conf, key string) (float64, bool, error) {
	v, ok := conf[key]
	if !ok {
		return 0, false, nil
	}
	var f float64
	var err error
	switch x := v.(type) {
	case float64:
		f = x
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case json.Number:
		f, err = strconv.ParseFloat(string(x), 64)
	case string:
		f, err = strconv.ParseFloat(strings.TrimSpace(x), 64)
	default:
		return 0, true, badConf(key, "%s is not a number", show(v))
	}
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, true, badConf(key, "%s is not a number", show(v))
	}
	return f, true, nil
}

// confString reads key as a string.
func confString(conf Conf, key string) (string, bool, error) {
	v, ok := conf[key]
	if !ok {
		return "", false, nil
	}
	s, isString := v.(string)
	if !isString {
		return "", true, badConf(key, "%v (%T) is not a string", v, v)
	}
	return s, true, nil
}

// scalar renders a JSON scalar as the string a worker var holds: strings
// as they are, numbers in their shortest form, booleans as true/false.
func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case json.Number:
		return string(x), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// vars reads v (found under key) as a map of worker vars with scalar
// values.
func vars(key string, v any) (map[string]string, error) {
	switch m := v.(type) {
	case map[string]string:
		out := make(map[string]string, len(m))
		for k, x := range m {
			out[k] = x
		}
		return out, nil
	case map[string]any:
		out := make(map[string]string, len(m))
		for _, k := range sortedKeys(m) {
			s, ok := scalar(m[k])
			if !ok {
				return nil, badConf(key+"."+k, "%v (%T) is not a string, number or boolean", m[k], m[k])
			}
			out[k] = s
		}
		return out, nil
	case Conf:
		return vars(key, map[string]any(m))
	}
	return nil, badConf(key, "%v (%T) is not an object", v, v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// target is what an engine launches: a deployable type, site and
// allocation, each "" for the domain's own.
type target struct {
	dt, site, allocation string
}

// readTarget returns t updated with the keys of conf present.
func readTarget(conf Conf, t target) (target, error) {
	for _, f := range []struct {
		key string
		dst *string
	}{{TypeKey, &t.dt}, {SiteKey, &t.site}, {AllocationKey, &t.allocation}} {
		s, found, err := confString(conf, f.key)
		if err != nil {
			return t, err
		}
		if found {
			*f.dst = s
		}
	}
	return t, nil
}

package engine

import (
	"maps"
	"math"
	"regexp"
	"strings"
	"time"
)

// Configuration keys of the autoscale engine (docs/autoscale.md).
const (
	ArraysKey          = "arrays"              // {name: {MachineType, Cores, MaxCount, MaxCoreCount, Configuration}}
	DefaultArrayKey    = "default_array"       // the array of a request without a name; default "execute"
	CoresKey           = "cores"               // cores of one worker of the deployable type; default 1
	AllocationCoresKey = "allocation_cores"    // {allocation: cores}, over the built-in EC2 table
	ExpirationKey      = "expiration_interval" // how long a target is honoured; default 5m
	BootTimeoutKey     = "boot_timeout"        // a node not RUNNING after this is removed; default 30m
	MaxCountKey        = "max_count"           // cap on the nodes of every array together; 0: none
	MaxCoreCountKey    = "max_core_count"      // cap on their cores; 0: none
)

// Defaults of the autoscale engine.
const (
	DefaultArray       = "execute"
	DefaultRequestSet  = "standard"
	DefaultExpiration  = 5 * time.Minute
	DefaultBootTimeout = 30 * time.Minute
)

// Extravars the autoscale engine gives each launch: the node's array and,
// for grouped nodes, its group id (visible to `epu node config`).
const (
	ArrayVar = "autoscale_array"
	GroupVar = "autoscale_group_id"
)

// autoscaleConf is the engine's configuration, read whole before use.
type autoscaleConf struct {
	arrays       map[string]arrayDef
	defaultArray string
	cores        int
	allocCores   map[string]int
	expiration   time.Duration
	bootTimeout  time.Duration
	maxCount     int
	maxCoreCount int
}

// arrayDef is a static array of the configuration.
type arrayDef struct {
	machineType  string
	cores        int
	maxCount     int
	maxCoreCount int
	config       map[string]string
}

func defaultAutoscaleConf() autoscaleConf {
	return autoscaleConf{arrays: map[string]arrayDef{DefaultArray: {}}, defaultArray: DefaultArray, cores: 1,
		expiration: DefaultExpiration, bootTimeout: DefaultBootTimeout}
}

// readAutoscaleConf returns cur updated with the keys of conf present.
// Unknown keys are errors (the keys shared by every engine apart).
func readAutoscaleConf(conf Conf, cur autoscaleConf) (autoscaleConf, error) {
	out := cur
	out.arrays = maps.Clone(cur.arrays)
	out.allocCores = maps.Clone(cur.allocCores)
	for _, k := range sortedKeys(conf) {
		v := conf[k]
		var err error
		switch k {
		case ArraysKey:
			out.arrays, err = readArrays(v)
		case DefaultArrayKey:
			out.defaultArray, _, err = confString(conf, k)
		case CoresKey:
			out.cores, _, err = confCount(conf, k)
			if err == nil && out.cores < 1 {
				err = badConf(k, "want at least 1")
			}
		case AllocationCoresKey:
			out.allocCores, err = readAllocCores(v)
		case ExpirationKey:
			out.expiration, err = confDuration(conf, k)
		case BootTimeoutKey:
			out.bootTimeout, err = confDuration(conf, k)
		case MaxCountKey:
			out.maxCount, _, err = confCount(conf, k)
		case MaxCoreCountKey:
			out.maxCoreCount, _, err = confCount(conf, k)
		case ProvisionerVarsKey:
			_, err = vars(k, v)
		default:
			err = badConf(k, "not a key of the autoscale engine")
		}
		if err != nil {
			return cur, err
		}
	}
	if _, ok := out.arrays[out.defaultArray]; !ok {
		return cur, badConf(DefaultArrayKey, "%q is not one of the arrays %v", out.defaultArray, sortedKeys(out.arrays))
	}
	return out, nil
}

var arrayName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func readArrays(v any) (map[string]arrayDef, error) {
	m, ok := asObject(v)
	if !ok || len(m) == 0 {
		return nil, badConf(ArraysKey, "want an object of node arrays by name")
	}
	out := make(map[string]arrayDef, len(m))
	for _, name := range sortedKeys(m) {
		key := ArraysKey + "." + name
		if !arrayName.MatchString(name) {
			return nil, badConf(key, "an array name is letters, digits, '.', '_' or '-'")
		}
		attrs, ok := asObject(m[name])
		if !ok {
			return nil, badConf(key, "want an object of attributes")
		}
		var d arrayDef
		for _, a := range sortedKeys(attrs) {
			var err error
			switch a {
			case "MachineType":
				d.machineType, _, err = confString(attrs, a)
			case "Cores":
				d.cores, _, err = confCount(attrs, a)
			case "MaxCount":
				d.maxCount, _, err = confCount(attrs, a)
			case "MaxCoreCount":
				d.maxCoreCount, _, err = confCount(attrs, a)
			case "Configuration":
				d.config, err = vars(a, attrs[a])
				if err == nil {
					err = reservedVars(d.config)
				}
			default:
				err = badConf(a, "not an attribute of a configured array (want MachineType, Cores, MaxCount, MaxCoreCount, Configuration)")
			}
			if err != nil {
				return nil, rekey(err, a, key+"."+a)
			}
		}
		out[name] = d
	}
	return out, nil
}

// rekey names the error of a nested key (made by badConf with key) by
// its full path.
func rekey(err error, key, full string) error {
	return badConf(full, "%s", strings.TrimPrefix(err.Error(), key+": "+ErrBadConf.Error()+": "))
}

func reservedVars(m map[string]string) error {
	for k := range m {
		if k == ArrayVar || k == GroupVar {
			return badConf(k, "set by the engine")
		}
	}
	return nil
}

func readAllocCores(v any) (map[string]int, error) {
	m, ok := asObject(v)
	if !ok {
		return nil, badConf(AllocationCoresKey, "want an object of cores by allocation")
	}
	out := make(map[string]int, len(m))
	for _, k := range sortedKeys(m) {
		n, ok := toInt(m[k])
		if !ok || n < 1 {
			return nil, badConf(AllocationCoresKey+"."+k, "want a positive integer, got %s", show(m[k]))
		}
		out[k] = n
	}
	return out, nil
}

// confDuration reads a Go duration string ("5m") or a number of seconds;
// it must be positive.
func confDuration(conf Conf, key string) (time.Duration, error) {
	v := conf[key]
	var d time.Duration
	if s, ok := v.(string); ok {
		var err error
		if d, err = time.ParseDuration(strings.TrimSpace(s)); err != nil {
			return 0, badConf(key, "%q is not a duration such as \"5m\"", s)
		}
	} else {
		f, _, err := confFloat(conf, key)
		if err != nil {
			return 0, err
		}
		if f > math.MaxInt64/float64(time.Second) {
			return 0, badConf(key, "%v seconds is too long", f)
		}
		d = time.Duration(f * float64(time.Second))
	}
	if d <= 0 {
		return 0, badConf(key, "want a positive duration")
	}
	return d, nil
}

func asObject(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case Conf:
		return m, true
	}
	return nil, false
}

// coresOf returns the cores of one worker of allocation: the
// configuration's allocation_cores, then the EC2 instance types this
// engine knows, then 0 (unknown).
func (c autoscaleConf) coresOf(allocation string) int {
	if n, ok := c.allocCores[allocation]; ok {
		return n
	}
	return ec2Cores(allocation)
}

// ec2Cores returns the vCPUs of common EC2 instance types (families t3,
// t3a, m5, m6i, m7i, c5, c6i, c7i, r5, r6i, r7i and their a/g variants by
// size), or 0 for a type it does not know; allocation_cores adds others.
func ec2Cores(t string) int {
	family, size, ok := strings.Cut(t, ".")
	if !ok {
		return 0
	}
	if strings.HasPrefix(family, "t3") || strings.HasPrefix(family, "t4g") {
		switch size {
		case "nano", "micro", "small", "medium", "large":
			return 2
		case "xlarge":
			return 4
		case "2xlarge":
			return 8
		}
		return 0
	}
	switch strings.TrimRight(family, "adgn") {
	case "m5", "m6", "m7", "c5", "c6", "c7", "r5", "r6", "r7", "m6i", "m7i", "c6i", "c7i", "r6i", "r7i":
	default:
		return 0
	}
	switch size {
	case "large":
		return 2
	case "xlarge":
		return 4
	}
	var n int
	if x, ok := strings.CutSuffix(size, "xlarge"); ok {
		n, ok = toInt(x)
		if ok && n >= 2 && n <= 48 {
			return 4 * n
		}
	}
	return 0
}

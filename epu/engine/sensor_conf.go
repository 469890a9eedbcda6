package engine

import (
	"fmt"
	"time"
)

// sensorConf is the sensor engine's configuration.
type sensorConf struct {
	minimum, maximum           int
	metric, sampleFunction     string
	cooldown                   time.Duration
	upThreshold, downThreshold float64
	upVMs, downVMs             int
	target                     target
	retirable                  map[string]bool
	uniqueKey                  string
	uniqueValues               []string
}

// apply returns sc with the keys of conf present applied, or an error
// naming the first bad key (sc itself is not changed). An empty conf is an
// error, as in the original.
func (sc sensorConf) apply(conf Conf) (sensorConf, error) {
	if len(conf) == 0 {
		return sc, fmt.Errorf("%w: the sensor engine needs a configuration", ErrBadConf)
	}
	for _, f := range []struct {
		key string
		dst *int
	}{{MinimumVMsKey, &sc.minimum}, {MaximumVMsKey, &sc.maximum}, {ScaleUpVMsKey, &sc.upVMs}} {
		if n, found, err := confCount(conf, f.key); err != nil {
			return sc, err
		} else if found {
			*f.dst = n
		}
	}
	if n, found, err := confInt(conf, ScaleDownVMsKey); err != nil {
		return sc, err
	} else if found {
		sc.downVMs = max(n, -n) // the original takes abs()
	}
	if n, found, err := confCount(conf, CooldownKey); err != nil {
		return sc, err
	} else if found {
		sc.cooldown = time.Duration(n) * time.Second
	}
	for _, f := range []struct {
		key string
		dst *float64
	}{{ScaleUpThresholdKey, &sc.upThreshold}, {ScaleDownThresholdKey, &sc.downThreshold}} {
		if x, found, err := confFloat(conf, f.key); err != nil {
			return sc, err
		} else if found {
			*f.dst = x
		}
	}
	for _, f := range []struct {
		key string
		dst *string
	}{
		{MetricKey, &sc.metric}, {SampleFunctionKey, &sc.sampleFunction},
		{DeployableTypeKey, &sc.target.dt}, {IaaSSiteKey, &sc.target.site}, {IaaSAllocationKey, &sc.target.allocation},
	} {
		if s, found, err := confString(conf, f.key); err != nil {
			return sc, err
		} else if found {
			*f.dst = s
		}
	}
	if v, found := conf[RetirableNodesKey]; found {
		ids, err := stringList(RetirableNodesKey, v)
		if err != nil {
			return sc, err
		}
		sc.retirable = make(map[string]bool, len(ids))
		for _, id := range ids {
			sc.retirable[id] = true
		}
	}
	if err := sc.applyUniques(conf); err != nil {
		return sc, err
	}
	if sc.minimum > sc.maximum {
		return sc, badConf(MinimumVMsKey, "%d exceeds %s %d", sc.minimum, MaximumVMsKey, sc.maximum)
	}
	return sc, nil
}

// applyUniques reads unique_key and unique_values, which come together:
// the original ignored a unique_key without values, and values without a
// key, silently; here each is an error.
func (sc *sensorConf) applyUniques(conf Conf) error {
	key, keyFound, err := confString(conf, UniqueKeyKey)
	if err != nil {
		return err
	}
	v, valuesFound := conf[UniqueValuesKey]
	if !keyFound && !valuesFound {
		return nil
	}
	if !keyFound || key == "" {
		return badConf(UniqueKeyKey, "required with %s", UniqueValuesKey)
	}
	if !valuesFound {
		return badConf(UniqueValuesKey, "required with %s", UniqueKeyKey)
	}
	values, err := stringList(UniqueValuesKey, v)
	if err != nil {
		return err
	}
	if len(values) == 0 {
		return badConf(UniqueValuesKey, "empty; it needs at least one value with %s", UniqueKeyKey)
	}
	sc.uniqueKey, sc.uniqueValues = key, values
	return nil
}

// stringList reads v (under key) as a list of scalars, rendered as
// strings.
func stringList(key string, v any) ([]string, error) {
	switch l := v.(type) {
	case []string:
		return append([]string(nil), l...), nil
	case []any:
		out := make([]string, 0, len(l))
		for n, x := range l {
			s, ok := scalar(x)
			if !ok {
				return nil, badConf(fmt.Sprintf("%s[%d]", key, n), "%v (%T) is not a string or number", x, x)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, badConf(key, "%v (%T) is not a list", v, v)
}

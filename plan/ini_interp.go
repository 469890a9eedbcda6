package plan

import (
	"errors"
	"fmt"
	"strings"
)

// maxInterpolationDepth is ConfigParser's MAX_INTERPOLATION_DEPTH.
const maxInterpolationDepth = 10

// pyInterpolate is ConfigParser._interpolate: while the value contains
// "%(", lower-case the names of %(name)s and apply Python's % formatting
// against vars (raw values), at most 10 rounds. Only %% and %(name)s are
// supported conversions; any other % directive is an error (Python would
// raise ValueError/TypeError, which the plan getter swallows too).
func pyInterpolate(value string, vars map[string]string) (string, error) {
	for range maxInterpolationDepth {
		if !strings.Contains(value, "%(") {
			return value, nil
		}
		v, err := pyFormat(value, vars)
		if err != nil {
			return "", err
		}
		value = v
	}
	if strings.Contains(value, "%(") {
		return "", errors.New("interpolation deeper than 10 levels")
	}
	return value, nil
}

// pyFormat is `value % vars` after KEYCRE lower-cased the %(name)s keys.
func pyFormat(value string, vars map[string]string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(value); i++ {
		c := value[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(value) {
			return "", errors.New("incomplete format: trailing %")
		}
		switch value[i+1] {
		case '%':
			b.WriteByte('%')
			i++
			continue
		case '(':
		default:
			return "", fmt.Errorf("unsupported format %q", value[i:i+2])
		}
		// Python's mapping key: parentheses nest.
		depth, j := 1, i+2
		for ; j < len(value) && depth > 0; j++ {
			switch value[j] {
			case '(':
				depth++
			case ')':
				depth--
			}
		}
		if depth > 0 {
			return "", errors.New("incomplete format key: missing )")
		}
		key := value[i+2 : j-1]
		if j >= len(value) || value[j] != 's' {
			return "", fmt.Errorf("unsupported format for %%(%s): only %%(name)s is supported", key)
		}
		if !strings.Contains(key, ")") { // KEYCRE `%\(([^)]*)\)s` lower-cases only simple keys
			key = asciiLower(key)
		}
		v, ok := vars[key]
		if !ok {
			return "", fmt.Errorf("bad interpolation: no key %q in the section or [DEFAULT]", key)
		}
		if b.Len()+len(v) > MaxValueSize {
			return "", fmt.Errorf("interpolation makes a value of more than %d bytes", MaxValueSize)
		}
		b.WriteString(v)
		i = j
	}
	return b.String(), nil
}

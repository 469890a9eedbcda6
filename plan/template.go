package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ErrNotObject is returned by BootEnv when the filled bootconf is not a
// JSON object (or not JSON at all); the caller warns and sends no
// bootenv.sh.
var ErrNotObject = errors.New("bootconf is not a JSON object")

// FillTemplate fills a bootconf template with Python 2.7 string.Template
// substitute() rules: "$$" is "$", "$name" and "${name}" (name
// [_a-zA-Z][_a-zA-Z0-9]*, looked up case-sensitively in bag) are replaced
// by the value. A name bag does not have, a "$" followed by anything else
// or an unterminated "${" is an error citing path, line and column.
func FillTemplate(path string, tmpl []byte, bag func(key string) (string, bool)) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(tmpl))
	line, lineStart := 1, 0
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		if c == '\n' {
			line, lineStart = line+1, i+1
		}
		if c != '$' {
			out.WriteByte(c)
			continue
		}
		name, n := placeholder(tmpl[i+1:])
		switch {
		case n == 1 && name == "$":
			out.WriteByte('$')
		case n > 0:
			v, ok := bag(name)
			if !ok {
				return nil, fmt.Errorf("bootconf %q: line %d: no value for %q", path, line, tmpl[i:i+1+n])
			}
			out.WriteString(v)
		default:
			end := min(i+12, len(tmpl))
			if nl := bytes.IndexByte(tmpl[i:end], '\n'); nl >= 0 {
				end = i + nl
			}
			return nil, fmt.Errorf("bootconf %q: line %d, column %d: invalid placeholder %q", path, line, i-lineStart+1, tmpl[i:end])
		}
		i += n
	}
	return out.Bytes(), nil
}

// placeholder parses what follows a '$': it returns the name ("$" for an
// escaped dollar) and the number of bytes consumed, 0 if malformed.
func placeholder(b []byte) (string, int) {
	if len(b) > 0 && b[0] == '$' {
		return "$", 1
	}
	if n := identLen(b); n > 0 {
		return string(b[:n]), n
	}
	if len(b) > 0 && b[0] == '{' {
		if n := identLen(b[1:]); n > 0 && n+1 < len(b) && b[n+1] == '}' {
			return string(b[1 : n+1]), n + 2
		}
	}
	return "", 0
}

// identLen is the length of the identifier [_a-zA-Z][_a-zA-Z0-9]* at the
// start of b, 0 if there is none.
func identLen(b []byte) int {
	for i, c := range b {
		letter := c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return i
		}
	}
	return len(b)
}

// BootEnv renders bootenv.sh from a filled bootconf: for every top-level key
// of the JSON object, in document order (a repeated key keeps its first
// place and last value), a line `export KEY="VALUE"`. Strings are written
// raw, other scalars as their JSON text, objects and arrays as compact JSON.
//
// Deliberate differences from the original: inside the double quotes
// \ " $ and ` are backslash-escaped (the original did no escaping, so a
// value with a quote broke the file and one with $(...) ran a command), and
// a key that is not a shell variable name becomes a comment line instead of
// a broken export.
func BootEnv(filled []byte) ([]byte, error) {
	keys, vals, err := topLevel(filled)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	for i, k := range keys {
		if identLen([]byte(k)) != len(k) || k == "" {
			fmt.Fprintf(&out, "# skipped key %s: not a shell variable name\n", strconv.Quote(k))
			continue
		}
		fmt.Fprintf(&out, "export %s=\"%s\"\n", k, shellDQEscape(vals[i]))
	}
	return out.Bytes(), nil
}

// topLevel returns the keys of a JSON object in document order and the
// rendered values.
func topLevel(data []byte) ([]string, []string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrNotObject, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, ErrNotObject
	}
	var keys []string
	index := map[string]int{}
	var vals []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrNotObject, err)
		}
		key, _ := tok.(string) // object keys are always strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrNotObject, err)
		}
		v, err := renderValue(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrNotObject, err)
		}
		if i, dup := index[key]; dup {
			vals[i] = v
			continue
		}
		index[key] = len(keys)
		keys, vals = append(keys, key), append(vals, v)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, nil, fmt.Errorf("%w: %w", ErrNotObject, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, fmt.Errorf("%w: data after the object", ErrNotObject)
	}
	return keys, vals, nil
}

// renderValue renders one JSON value for bootenv.sh.
func renderValue(raw json.RawMessage) (string, error) {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return "", err
	}
	return b.String(), nil
}

// shellDQEscape escapes s for the inside of a double-quoted sh string.
func shellDQEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\\' || c == '"' || c == '$' || c == '`' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

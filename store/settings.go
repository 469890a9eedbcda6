package store

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A service's settings are stored in one row of service_config (schema
// version 5; docs/record.md) as a JSON array of [key, value, source]
// arrays sorted by key, value null when Redacted, and since version 6 a
// source that several settings share given as its id in setting_source
// (sources.go):
//
//	[["image","ami-1","l2.conf [svc-web]"],["iaas_secret",null,1]]
//
// SQLite's own json_group_array writes the same form (the migration from
// the service_setting rows of version 4), and the view service_setting
// reads it back as rows with json_each. Strings are written byte for byte
// but for the escapes JSON requires (", \ and control characters), so any
// text, valid UTF-8 or not, reads back as it was written.

// appendSettings appends the JSON form of ss, sorted by key, to b; sorted
// is a scratch slice the caller may hand again (ss sorted already, as
// PutNewPlan hands them, is not copied). A source text that sources
// holds is written as its id (setting_source, schema version 6), any
// other as a string. Two settings of one key are refused, as the primary
// key (service_id, key) of version 4 did.
func appendSettings(b []byte, sorted []Setting, ss []Setting, sources map[string]int64) ([]byte, []Setting, error) {
	list := ss
	if !slices.IsSortedFunc(ss, compareKeys) {
		sorted = append(sorted[:0], ss...)
		slices.SortFunc(sorted, compareKeys)
		list = sorted
	}
	defer clear(sorted)
	b = append(b, '[')
	for i, st := range list {
		if i > 0 {
			if st.Key == list[i-1].Key {
				return b, sorted, fmt.Errorf("setting %q given twice", st.Key)
			}
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendJSONString(b, st.Key)
		b = append(b, ',')
		if st.Redacted {
			b = append(b, "null"...) // a secret: never stored
		} else {
			b = appendJSONString(b, st.Value)
		}
		b = append(b, ',')
		if id, ok := sources[st.Source]; ok {
			b = strconv.AppendInt(b, id, 10)
		} else {
			b = appendJSONString(b, st.Source)
		}
		b = append(b, ']')
	}
	return append(b, ']'), sorted, nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string: ", \ and the control
// characters escaped, every other byte as it is.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// errSettings is the error of a settings value that is not the JSON
// array appendSettings writes.
var errSettings = errors.New("malformed settings")

// settingsReader parses the JSON form of a service's settings. intern,
// if set, returns the string to keep for a key, value or source (the
// services of a plan share most of them): given a part of the JSON text,
// it must not keep that string itself (strings.Clone) lest it keep the
// whole text alive.
type settingsReader struct {
	intern  func(string) string
	sources map[int64]string // the texts of setting_source by id
	buf     []byte           // an unescaped string
}

// read appends the settings of the JSON array s to out.
func (r *settingsReader) read(out []Setting, s string) ([]Setting, error) {
	p := jsonParser{s: s}
	if !p.byte('[') {
		return out, errSettings
	}
	if p.byte(']') {
		return out, p.end()
	}
	for {
		var st Setting
		var null bool
		if !p.byte('[') {
			return out, errSettings
		}
		if st.Key, _ = r.str(&p, false); !p.byte(',') {
			return out, errSettings
		}
		if st.Value, null = r.str(&p, true); !p.byte(',') {
			return out, errSettings
		}
		if st.Source = r.source(&p); !p.byte(']') || p.err != nil {
			return out, errSettings
		}
		st.Redacted = null
		out = append(out, st)
		if p.byte(']') {
			return out, p.end()
		}
		if !p.byte(',') {
			return out, errSettings
		}
	}
}

// source reads a source: a string, or the id of a text of setting_source.
func (r *settingsReader) source(p *jsonParser) string {
	id, ok := p.integer()
	if !ok {
		s, _ := r.str(p, false)
		return s
	}
	text, found := r.sources[id]
	if !found {
		p.err = errSettings
	}
	return text
}

// str reads a string (or null, if nullable) and returns it interned.
func (r *settingsReader) str(p *jsonParser, nullable bool) (string, bool) {
	if nullable && p.literal("null") {
		return "", true
	}
	raw, escaped := p.str()
	if p.err != nil {
		return "", false
	}
	if escaped {
		r.buf = unescape(r.buf[:0], raw)
		raw = string(r.buf)
	}
	if r.intern != nil {
		return r.intern(raw), false
	}
	return strings.Clone(raw), false
}

// jsonParser reads the few JSON tokens of a settings array; err is set
// at the first byte that does not fit.
type jsonParser struct {
	s   string
	i   int
	err error
}

func (p *jsonParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

// byte consumes c (after white space) if it is next.
func (p *jsonParser) byte(c byte) bool {
	p.space()
	if p.err == nil && p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// integer consumes a number of decimal digits if one is next.
func (p *jsonParser) integer() (int64, bool) {
	p.space()
	start := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	if p.err != nil || p.i == start {
		return 0, false
	}
	n, err := strconv.ParseInt(p.s[start:p.i], 10, 64)
	if err != nil {
		p.err = errSettings
		return 0, false
	}
	return n, true
}

func (p *jsonParser) literal(w string) bool {
	p.space()
	if p.err == nil && strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

// str consumes a string and returns its bytes between the quotes, still
// escaped when escaped is true.
func (p *jsonParser) str() (raw string, escaped bool) {
	if !p.byte('"') {
		p.err = errSettings
		return "", false
	}
	start := p.i
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == '"':
			p.i++
			return p.s[start : p.i-1], escaped
		case c == '\\':
			escaped = true
			p.i += 2
		case c < 0x20:
			p.err = errSettings
			return "", false
		default:
			p.i++
		}
	}
	p.err = errSettings
	return "", false
}

// end checks that nothing but white space follows.
func (p *jsonParser) end() error {
	p.space()
	if p.err != nil || p.i != len(p.s) {
		return errSettings
	}
	return nil
}

// unescape appends the JSON string body raw, its escapes resolved, to b.
// A malformed escape is kept as it is (str found the string's end).
func unescape(b []byte, raw string) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			b = append(b, c)
			continue
		}
		i++
		switch e := raw[i]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4(raw[i+1:])
			if !ok {
				b = append(b, '\\', 'u')
				continue
			}
			i += 4
			if utf16.IsSurrogate(r) && len(raw) > i+2 && raw[i+1] == '\\' && raw[i+2] == 'u' {
				if r2, ok := hex4(raw[i+3:]); ok {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						r = d
						i += 6
					}
				}
			}
			b = utf8.AppendRune(b, r)
		default:
			b = append(b, '\\', e)
		}
	}
	return b
}

// hex4 reads the 4 hex digits of a \u escape at the start of s.
func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(s[:4], 16, 16)
	return rune(v), err == nil
}

package store

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
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

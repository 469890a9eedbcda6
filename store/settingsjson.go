package store

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

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

package engine

import (
	"fmt"
	"strings"
)

// pyList renders a one-element list of s as Python's repr does
// (['nimbus-ucsd']); an empty s renders as [].
func pyList(s string) string {
	if s == "" {
		return "[]"
	}
	return "[" + pyRepr(s) + "]"
}

// pyRepr renders s as Python 2's repr of a str: single quotes unless s
// holds a single quote and no double quote, backslash escapes for the
// quote, backslash, tab, newline, carriage return and other bytes outside
// printable ASCII.
func pyRepr(s string) string {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == q || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(q)
	return b.String()
}

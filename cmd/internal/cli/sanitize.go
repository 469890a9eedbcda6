package cli

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Sanitize makes text from programs and clouds safe to print on a
// terminal: every control character but tab (ESC and the rest of C0, DEL,
// the C1 range, which includes the 8-bit CSI) and every byte that is not
// UTF-8 is shown as a \xNN (or \u00NN) escape instead of being sent raw,
// so that program output cannot move the cursor, recolour, retitle or
// otherwise drive the user's terminal. Other text is unchanged.
func Sanitize(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return (r < 0x20 && r != '\t') || (r >= 0x7f && r <= 0x9f)
}

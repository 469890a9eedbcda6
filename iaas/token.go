package iaas

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// MaxClientTokenLen is the longest token [ClientToken] returns: EC2 accepts
// up to 64 ASCII characters.
const MaxClientTokenLen = 64

// ClientToken builds the idempotency token for a launch: the same run,
// service and attempt always give the same token, and different ones give
// different tokens. It is "run-service-attempt" when that is at most 64
// printable ASCII characters without spaces; otherwise a readable,
// sanitised prefix followed by "-" and 16 hex digits of the SHA-256 of the
// full text, 64 characters in all, so it is always valid for EC2.
func ClientToken(run, service string, attempt int) string {
	s := run + "-" + service + "-" + strconv.Itoa(attempt)
	if len(s) <= MaxClientTokenLen && validTokenText(s) {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	suffix := "-" + hex.EncodeToString(sum[:8])
	prefix := strings.Map(func(r rune) rune {
		if r > ' ' && r < 0x7f {
			return r
		}
		return '_'
	}, s)
	if room := MaxClientTokenLen - len(suffix); len(prefix) > room {
		prefix = prefix[:room]
	}
	return prefix + suffix
}

func validTokenText(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

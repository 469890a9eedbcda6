package store

import (
	"regexp"
	"strings"
)

// refRE matches a reference to a secret: env.NAME (an environment variable)
// or profile.NAME (a named credentials profile).
var refRE = regexp.MustCompile(`^(env|profile)\.[A-Za-z_][A-Za-z0-9_.-]*$`)

// IsSecretKey reports whether values of key are credentials (iaas_key,
// iaas_secret) that the record never holds.
func IsSecretKey(key string) bool {
	switch strings.ToLower(key) {
	case "iaas_key", "iaas_secret":
		return true
	}
	return false
}

// IsSecretRef reports whether v names where a secret comes from
// (env.NAME or profile.NAME) rather than being one.
func IsSecretRef(v string) bool {
	return refRE.MatchString(v)
}

// scrub returns what may be stored for a setting. For a secret key the
// stored value is the reference: the value itself when it is one, else the
// source when that is one; with neither, the value is dropped (ok false,
// stored as NULL) and the source kept.
func scrub(key, value, source string) (stored string, ok bool) {
	if !IsSecretKey(key) {
		return value, true
	}
	switch {
	case IsSecretRef(value):
		return value, true
	case IsSecretRef(source):
		return source, true
	}
	return "", false
}

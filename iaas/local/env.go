package local

import "strings"

// serverEnv returns what a local instance server keeps of cloudinitd's
// environment: the variables a login on this machine would have (PATH,
// HOME, USER, LOGNAME, SHELL, the locale, TZ, TMPDIR) and the Go runtime's
// own knobs (GODEBUG, GORACE, GOCOVERDIR), nothing else. Cloud
// credentials, tokens and whatever else cloudinitd was given stay out of
// the server and of every program it runs (docs/local-driver.md).
func serverEnv(environ []string) []string {
	var out []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if keepForServer(k) {
			out = append(out, kv)
		}
	}
	return out
}

func keepForServer(name string) bool {
	switch name {
	case "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR",
		"GODEBUG", "GORACE", "GOCOVERDIR":
		return true
	}
	return strings.HasPrefix(name, "LC_")
}

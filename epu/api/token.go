package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// TokenFile is the name of the file in a daemon's state directory that
// holds its own token (mode 0600), for `epu ctl` on the same host.
const TokenFile = "token"

// ErrNoSecret is returned when a token is derived from an empty secret.
var ErrNoSecret = errors.New("no run secret (run_secret reaches a daemon through its bootconf)")

// ServiceToken is the token that calls on the daemon of service svc carry:
// HMAC-SHA256 of "service:"+svc keyed by the run's secret, hex.
func ServiceToken(secret, svc string) (string, error) { return derive(secret, "service:"+svc) }

// NodeToken is the token a domain's workers carry: it is accepted only for
// the calls a node makes (heartbeat, log, shutdown, autoscale) on that
// domain, never for the admin calls.
func NodeToken(secret, domain string) (string, error) { return derive(secret, "node:"+domain) }

func derive(secret, scope string) (string, error) {
	if secret == "" {
		return "", ErrNoSecret
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(scope))
	return hex.EncodeToString(m.Sum(nil)), nil
}

// WriteToken writes token to dir/TokenFile with mode 0600, replacing any
// earlier file without ever leaving it readable by others.
func WriteToken(dir, token string) error {
	if err := writePrivate(dir, TokenFile, token+"\n"); err != nil {
		return fmt.Errorf("write token: %w", err)
	}
	return nil
}

// writePrivate writes content to dir/name with mode 0600 by rename of a
// new file: the file is never readable by others, nor ever half written.
func writePrivate(dir, name, content string) error {
	tmp, err := os.CreateTemp(dir, "."+name+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, name))
}

// ReadToken reads the token a daemon left in its state directory dir.
func ReadToken(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, TokenFile))
	if err != nil {
		return "", fmt.Errorf("read token (is the daemon's state directory %s?): %w", dir, err)
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", fmt.Errorf("read token: %s is empty", filepath.Join(dir, TokenFile))
	}
	return t, nil
}

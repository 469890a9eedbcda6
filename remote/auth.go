package remote

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// ErrAuth is wrapped when the host refused every key offered, or a
// configured key file cannot be used. Retrying does not help.
var ErrAuth = errors.New("ssh authentication failed")

// IsPermanent reports whether err is a definite SSH failure that retrying
// cannot fix: authentication refused, unusable key, host key mismatch.
func IsPermanent(err error) bool {
	return errors.Is(err, ErrAuth) || errors.Is(err, ErrHostKeyMismatch)
}

// classifyHandshake marks authentication failures with ErrAuth.
// x/crypto/ssh returns a plain error for them, so its fixed text is the only
// signal; this is the one place that looks at it.
func classifyHandshake(err error) error {
	if err != nil && strings.Contains(err.Error(), "ssh: unable to authenticate") {
		return fmt.Errorf("%w: %w", ErrAuth, err)
	}
	return err
}

// signers gathers the keys to offer, in order: the plan's localsshkeypath,
// the driver's key file, then every key of the ssh-agent at agentSock. The
// returned close function releases the agent connection.
func signers(t Target, agentSock string) (func() ([]ssh.Signer, error), func(), error) {
	var fixed []ssh.Signer
	for _, p := range []string{t.KeyPath, t.DriverKeyPath} {
		if p == "" {
			continue
		}
		s, err := loadKey(p)
		if err != nil {
			return nil, nil, err
		}
		fixed = append(fixed, s)
	}
	var ag agent.ExtendedAgent
	closeFn := func() {}
	if agentSock != "" {
		if c, err := net.Dial("unix", agentSock); err == nil {
			ag = agent.NewClient(c)
			closeFn = func() { _ = c.Close() }
		}
	}
	if len(fixed) == 0 && ag == nil {
		return nil, nil, fmt.Errorf("%w: no key: set localsshkeypath or run an ssh-agent (SSH_AUTH_SOCK)", ErrAuth)
	}
	get := func() ([]ssh.Signer, error) {
		all := append([]ssh.Signer(nil), fixed...)
		if ag != nil {
			if more, err := ag.Signers(); err == nil {
				all = append(all, more...)
			}
		}
		return all, nil
	}
	return get, closeFn, nil
}

// loadKey reads a private key file. Its content never reaches an error.
func loadKey(p string) (ssh.Signer, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("%w: key file: %w", ErrAuth, err)
	}
	s, err := ssh.ParsePrivateKey(b)
	var pm *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &pm):
		return nil, fmt.Errorf("%w: key file %s is protected by a passphrase; add it to ssh-agent instead", ErrAuth, p)
	case err != nil:
		return nil, fmt.Errorf("%w: key file %s: cannot parse private key", ErrAuth, p)
	}
	return s, nil
}

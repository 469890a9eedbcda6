package remote

import (
	"errors"
	"fmt"
	"net"
	"sync"

	"golang.org/x/crypto/ssh"
)

// HostKeys remembers the host key each host showed on first contact. The
// caller implements it (for example on top of the run's database) so that
// every later connection, in this process or a later one, is checked.
type HostKeys interface {
	// Seen returns the key recorded for host ("host" for port 22,
	// "[host]:port" otherwise), if any; an error when what is recorded
	// cannot be read, which fails the connection: a key that was not
	// read is not taken for no key, or the host's next key would be
	// recorded on trust.
	Seen(host string) (ssh.PublicKey, bool, error)
	// Record stores key as host's key. It is called once, on first contact.
	Record(host string, key ssh.PublicKey) error
}

// ErrHostKeyMismatch is wrapped by *HostKeyError.
var ErrHostKeyMismatch = errors.New("host key mismatch")

// HostKeyError reports a host that presented a key other than the one
// recorded for it or announced by the driver.
type HostKeyError struct {
	Host string
	// Want and Got are SHA256 fingerprints ("SHA256:..."); Got says which
	// key types the host offers when it has none of the expected type.
	Want, Got string
}

func (e *HostKeyError) Error() string {
	return fmt.Sprintf("%s for %s: expected %s, host offered %s", ErrHostKeyMismatch, e.Host, e.Want, e.Got)
}

// Is makes errors.Is(err, ErrHostKeyMismatch) hold.
func (e *HostKeyError) Is(target error) bool { return target == ErrHostKeyMismatch }

// MemoryHostKeys is a HostKeys kept in memory for the life of a process.
type MemoryHostKeys struct {
	mu   sync.Mutex
	keys map[string]ssh.PublicKey
}

var _ HostKeys = (*MemoryHostKeys)(nil)

// Seen implements HostKeys.
func (m *MemoryHostKeys) Seen(host string) (ssh.PublicKey, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[host]
	return k, ok, nil
}

// Record implements HostKeys.
func (m *MemoryHostKeys) Record(host string, key ssh.PublicKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.keys == nil {
		m.keys = make(map[string]ssh.PublicKey)
	}
	m.keys[host] = key
	return nil
}

// hostKeyCallback checks a presented key against pinned (a key the driver
// announced) when set, else against hk, recording it on first contact.
// id names the host in hk.
func hostKeyCallback(hk HostKeys, pinned ssh.PublicKey, id string) ssh.HostKeyCallback {
	return func(_ string, _ net.Addr, key ssh.PublicKey) error {
		want := pinned
		if want == nil {
			k, ok, err := hk.Seen(id)
			if err != nil {
				return fmt.Errorf("read the recorded host key of %s: %w", id, err)
			}
			if !ok {
				if err := hk.Record(id, key); err != nil {
					return fmt.Errorf("record host key of %s: %w", id, err)
				}
				return nil
			}
			want = k
		}
		if !keysEqual(want, key) {
			return &HostKeyError{Host: id, Want: ssh.FingerprintSHA256(want), Got: ssh.FingerprintSHA256(key)}
		}
		return nil
	}
}

func keysEqual(a, b ssh.PublicKey) bool {
	return a.Type() == b.Type() && string(a.Marshal()) == string(b.Marshal())
}

// hostKeyAlgorithms is what the client asks a host to prove itself with.
// With a known key (announced or recorded) only its algorithms, so a host
// that has several keys shows that one instead of failing as a mismatch;
// on first contact Ed25519 first (the cheapest signature for the host),
// then ECDSA and RSA.
func hostKeyAlgorithms(known ssh.PublicKey) []string {
	if known == nil {
		return []string{
			ssh.KeyAlgoED25519,
			ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
			ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA,
		}
	}
	if known.Type() == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{known.Type()}
}

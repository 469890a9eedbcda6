package pipeline

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// failingKeyStore is a KeyStore whose reads fail.
type failingKeyStore struct{ *keyStore }

var errLocked = errors.New("database is locked")

func (failingKeyStore) HostKey(context.Context, string) (string, error) { return "", errLocked }

// TestStoreHostKeysSeen: the key a service recorded for the host id is
// found; one recorded for another address is not the host's; a record
// that cannot be read, or a line that does not parse, is an error naming
// the service (was: both taken for no key, so the host's next key was
// recorded on trust).
func TestStoreHostKeysSeen(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	line := func(id string) string { return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key))) + " " + id }
	const id = "[127.0.0.1]:22"
	for _, tc := range []struct {
		name  string
		store KeyStore
		found bool
		err   string // in the error; "" for none
	}{
		{name: "recorded", store: &keyStore{keys: map[string]string{"web": line(id)}}, found: true},
		{name: "none", store: &keyStore{}},
		{name: "another address's", store: &keyStore{keys: map[string]string{"web": line("[127.0.0.2]:22")}}},
		{name: "unreadable", store: failingKeyStore{&keyStore{}}, err: `service "web": database is locked`},
		{name: "does not parse", store: &keyStore{keys: map[string]string{"web": "ssh-ed25519 !!! " + id}}, err: `service "web": recorded host key`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hk := &storeHostKeys{store: tc.store, services: map[string][]string{}}
			hk.register(id, "web")
			got, found, err := hk.Seen(id)
			switch {
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("Seen: %v, want an error with %q", err, tc.err)
			case tc.err == "" && err != nil:
				t.Errorf("Seen: %v", err)
			case found != tc.found:
				t.Errorf("Seen found %v, want %v", found, tc.found)
			case found && ssh.FingerprintSHA256(got) != ssh.FingerprintSHA256(key):
				t.Errorf("Seen returned %s, want %s", ssh.FingerprintSHA256(got), ssh.FingerprintSHA256(key))
			}
		})
	}
}

package remote_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/remote/remotetest"
)

// unreadableHostKeys is a HostKeys whose record cannot be read.
type unreadableHostKeys struct{ recorded int }

var errUnreadable = errors.New("database is locked")

func (h *unreadableHostKeys) Seen(string) (ssh.PublicKey, bool, error) {
	return nil, false, errUnreadable
}

func (h *unreadableHostKeys) Record(string, ssh.PublicKey) error { h.recorded++; return nil }

// TestHostKeyUnreadable: when the recorded host keys cannot be read, the
// connection fails with that error, and the host's key is not recorded on
// trust as on first contact (was: an unread key was no key, and the
// host's key was recorded).
func TestHostKeyUnreadable(t *testing.T) {
	signer, keyPath := remotetest.NewKey(t)
	srv := remotetest.NewServer(t, signer.PublicKey())
	hk := &unreadableHostKeys{}
	pool := newPool(nil, hk, func(o *remote.SSHOptions) { o.DialAttempts = 1 })
	defer pool.Close()
	// No deadline: the pool tries DialAttempts times (a record that cannot
	// be read may be busy a moment), here once.
	ex, err := pool.Get(context.Background(), remote.Target{Host: srv.Host(), Port: srv.Port(), KeyPath: keyPath})
	if err == nil {
		ex.Close()
		t.Fatal("connected with host keys that cannot be read")
	}
	if !errors.Is(err, errUnreadable) || !strings.Contains(err.Error(), "read the recorded host key of ") {
		t.Errorf("err = %v, want the unreadable record's error", err)
	}
	if hk.recorded != 0 {
		t.Errorf("the host's key was recorded %d times, want never", hk.recorded)
	}
}

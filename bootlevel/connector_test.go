package bootlevel

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/remote/remotetest"
	"github.com/cloudinitd/cloudinitd/store"
	"github.com/cloudinitd/cloudinitd/verify"
)

// TestConnectPollsSSHWithPortBudget: the connector makes SSH connection
// attempts (no separate port probe) within the original's port budget:
// 129 attempts, 2 for a contextualized service; a host that starts to
// answer is connected on the next attempt.
func TestConnectPollsSSHWithPortBudget(t *testing.T) {
	_, keyPath := remotetest.NewKey(t)
	db, err := store.Create(context.Background(), t.TempDir(), testRun, store.Run{TopConf: "top.conf"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.PutPlan(context.Background(), []store.Level{{Number: 1, Key: "level1", ConfFile: "l1.conf"}},
		[]store.Service{{Name: "web", Level: 1}}); err != nil {
		t.Fatal(err)
	}
	instant := func(time.Duration) <-chan time.Time {
		ch := make(chan time.Time, 1)
		ch <- time.Time{}
		return ch
	}
	for _, tc := range []struct {
		name           string
		contextualized bool
		want           int32
	}{
		{"booting", false, 129},
		{"contextualized", true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var dials atomic.Int32
			c := NewSSHConnector(db, remote.SSHOptions{
				Getenv: func(string) string { return "" },
				Dial: func(context.Context, string, string) (net.Conn, error) {
					dials.Add(1)
					return nil, errors.New("fake dial: connection refused")
				},
			})
			defer c.Close()
			c.PortWait = func(ctxd bool) verify.Backoff {
				b := verify.PortBackoff(ctxd)
				b.After = instant
				return b
			}
			_, err := c.Connect(testCtx(t), Target{Service: "web", Host: "127.0.0.1", Port: 1, User: "u", KeyPath: keyPath, Contextualized: tc.contextualized})
			if !errors.Is(err, verify.ErrGaveUp) {
				t.Errorf("err = %v, want ErrGaveUp", err)
			}
			if n := dials.Load(); n != tc.want {
				t.Errorf("%d connection attempts, want %d", n, tc.want)
			}
		})
	}

	t.Run("host comes up", func(t *testing.T) {
		signer, keyPath := remotetest.NewKey(t)
		srv := remotetest.NewServer(t, signer.PublicKey())
		var dials atomic.Int32
		c := NewSSHConnector(db, remote.SSHOptions{
			Getenv: func(string) string { return "" },
			Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
				if dials.Add(1) <= 2 {
					return nil, errors.New("fake dial: connection refused")
				}
				var d net.Dialer
				return d.DialContext(ctx, network, addr)
			},
		})
		defer c.Close()
		c.PortWait = func(bool) verify.Backoff { return verify.Backoff{After: instant, Attempts: 5} }
		ex, err := c.Connect(testCtx(t), Target{Service: "web", Host: srv.Host(), Port: srv.Port(), User: "u", KeyPath: keyPath})
		if err != nil {
			t.Fatal(err)
		}
		defer ex.Close()
		if n, conns := dials.Load(), srv.Conns(); n != 3 || conns != 1 {
			t.Errorf("%d attempts, %d connections; want 3 attempts, 1 connection (no port probe)", n, conns)
		}
	})
}

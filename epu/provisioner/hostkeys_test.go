package provisioner

import (
	"context"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// TestHostKeysStore: a pinned host key is kept by node id across a reopen
// of the store; "" forgets it; an unknown node has none.
func TestHostKeysStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := OpenStore(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	const line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO6 [127.0.0.1]:2222"
	if err := st.SetHostKey(ctx, "n-1", line); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if st, err = OpenStore(ctx, dir); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, c := range []struct{ node, want string }{{"n-1", line}, {"n-2", ""}} {
		if got, err := st.HostKey(ctx, c.node); err != nil || got != c.want {
			t.Errorf("HostKey(%s) = %q, %v; want %q", c.node, got, err, c.want)
		}
	}
	if err := st.SetHostKey(ctx, "n-1", ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.HostKey(ctx, "n-1"); got != "" {
		t.Errorf("after forgetting: %q", got)
	}
}

// pinner is a HostKeyPinner that remembers the store it was given.
type pinner struct {
	DryRunContextualizer
	got *HostKeys
}

func (p pinner) PinHostKeys(keys HostKeys) Contextualizer {
	*p.got = keys
	return p
}

// TestNewPinsHostKeys: New gives a HostKeyPinner its store: what the
// contextualizer pins is in the provisioner's records.
func TestNewPinsHostKeys(t *testing.T) {
	var got HostKeys
	cfg := testConfig(t)
	p, err := New(cfg, Deps{Registry: testRegistry(), Contextualizer: pinner{got: &got}, Clock: iaas.SystemClock()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if got == nil {
		t.Fatal("New did not give the contextualizer the store")
	}
	ctx := context.Background()
	if err := got.SetHostKey(ctx, "n-1", "ssh-ed25519 AAAA [h]:22"); err != nil {
		t.Fatal(err)
	}
	if line, err := p.store.HostKey(ctx, "n-1"); err != nil || line != "ssh-ed25519 AAAA [h]:22" {
		t.Errorf("the provisioner's store holds %q, %v", line, err)
	}
}

package bootlevel

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/store"
)

// countingConnector records which services were connected to, and
// connects nowhere (DryRunConnector).
type countingConnector struct {
	DryRunConnector
	mu  sync.Mutex
	got map[string]int
}

func (c *countingConnector) Connect(ctx context.Context, t Target) (remote.Executor, error) {
	c.mu.Lock()
	c.got[t.Service]++
	c.mu.Unlock()
	return c.DryRunConnector.Connect(ctx, t)
}

// TestSSHCheckFalse: a service with ssh_check: false and no programs is
// ready as soon as its instance runs, in boot and in status, and
// terminated, without any connection; a service without it is connected to (the SSH wait), and one
// with programs is connected to whatever ssh_check says.
func TestSSHCheckFalse(t *testing.T) {
	files := map[string]string{
		"top.conf": "[defaults]\niaas: fake\nimage: img\n[runlevels]\nlevel1: l1.conf\n",
		"l1.conf": "[svc-quiet]\nssh_check: False\n" +
			"[svc-plain]\n" +
			"[svc-pgm]\nssh_check: false\nlocalsshkeypath: p.sh\nbootpgm: p.sh\n",
		"p.sh": "#!/bin/sh\n",
	}
	h := newHarness(t, files)
	conn := &countingConnector{got: map[string]int{}}
	h.eng.Connector = conn
	ctx := testCtx(t)
	if err := h.eng.Boot(ctx, BootOptions{}); err != nil {
		t.Fatalf("boot: %v", err)
	}
	if err := h.eng.Status(ctx); err != nil {
		t.Fatalf("status: %v", err)
	}
	for _, n := range []string{"quiet", "plain", "pgm"} {
		if s := h.service(n); s.State != store.StateReady || s.Hostname != "localhost" {
			t.Errorf("%s: %s on %q", n, s.State, s.Hostname)
		}
	}
	if err := h.eng.Terminate(ctx); err != nil {
		t.Fatalf("terminate: %v", err)
	}
	// boot, status and terminate (stage removal) connect to plain; pgm in
	// boot and terminate; quiet never.
	if diff := cmp.Diff(map[string]int{"plain": 3, "pgm": 2}, conn.got); diff != "" {
		t.Errorf("connections per service (-want +got):\n%s", diff)
	}
	for _, n := range []string{"quiet", "plain", "pgm"} {
		if s := h.service(n); s.State != store.StateTerminated {
			t.Errorf("%s: %s", n, s.State)
		}
	}
	for _, e := range h.events.all() {
		if e.Service == "quiet" && (e.Step == StepConnect || e.Step == StepSSH) {
			t.Errorf("quiet: step %s", e.Step)
		}
	}
}

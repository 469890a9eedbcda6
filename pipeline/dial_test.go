package pipeline

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/remote"
)

// gateConnector is a Connector whose executors do nothing (as
// --dryrun's); it tells when the first Connect began and counts the
// executors closed.
type gateConnector struct {
	began  chan struct{}
	once   sync.Once
	closed atomic.Int32
}

func (c *gateConnector) Connect(context.Context, Target) (remote.Executor, error) {
	c.once.Do(func() { close(c.began) })
	return &closeCounting{Executor: dryRunExecutor{}, n: &c.closed}, nil
}

func (c *gateConnector) Close() error { return nil }

type closeCounting struct {
	remote.Executor
	n *atomic.Int32
}

func (x *closeCounting) Close() error { x.n.Add(1); return nil }

// gatedHostname is a fakeService whose Hostname write waits until the
// connection began (as a write waiting for its group commit would), or
// fails with err.
type gatedHostname struct {
	*fakeService
	began <-chan struct{}
	err   error
}

func (g *gatedHostname) Hostname(ctx context.Context, h string) error {
	if g.err != nil {
		return g.err
	}
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	select {
	case <-g.began:
	case <-wait.Done():
		return errors.New("the connection had not begun while the hostname was written")
	}
	return g.fakeService.Hostname(ctx, h)
}

// TestConnectOverlapsTheRecord: the connection to a host the run did not
// launch begins before the record has taken its hostname (a write that
// waits for its commit), the transitions are told in the same order as
// before, and the executor is closed at the end; when the hostname
// cannot be recorded, the step fails as before and the connection begun
// is closed.
func TestConnectOverlapsTheRecord(t *testing.T) {
	for _, tc := range []struct {
		name      string
		hostError error
		want      []string
		step      string
	}{
		{name: "recorded", want: []string{"hostname h1", "step connect h1", "booting", "step bootpgm ",
			"contextualized", "step readypgm ", "ready ranBoot=true"}},
		{name: "record fails", hostError: errors.New("disk full"), step: StepHostname},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &gateConnector{began: make(chan struct{})}
			f := &fakeService{settings: map[string]string{"bootpgm": "/bin/true", "readypgm": "/bin/true"}}
			svc := f.service("web")
			svc.State = &gatedHostname{fakeService: f, began: c.began, err: tc.hostError}
			host := Host{Place: func(context.Context, *iaas.Instance) (Place, error) { return Place{Hostname: "h1"}, nil }}
			p := Pipeline{Connector: c}
			err := p.Run(testCtx(t), svc, host, Options{Boot: true, RunBoot: true, StepTimeout: 30 * time.Second})
			if step, cause := StepOf(err); step != tc.step || (tc.hostError != nil && !errors.Is(cause, tc.hostError)) {
				t.Fatalf("Run = %v; want step %q failing with %v", err, tc.step, tc.hostError)
			}
			if diff := cmp.Diff(tc.want, f.recorded()); diff != "" {
				t.Errorf("transitions (-want +got):\n%s", diff)
			}
			if n := c.closed.Load(); n != 1 {
				t.Errorf("%d executors closed, want 1", n)
			}
		})
	}
}

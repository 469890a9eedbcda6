package iaas_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// TestWithLimit sends 200 concurrent calls through a limit of 7 and
// measures how many are inside the driver at once: never more than 7, and
// 7 once they pile up.
func TestWithLimit(t *testing.T) {
	const limit, callers = 7, 200
	var inflight, peak, total atomic.Int64
	entered := make(chan struct{}, callers)
	release := make(chan struct{})
	enter := func() {
		n := inflight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		total.Add(1)
		entered <- struct{}{}
		<-release
		inflight.Add(-1)
	}
	stub := &stubDriver{
		launch:    func(context.Context, iaas.LaunchSpec) (iaas.Instance, error) { enter(); return iaas.Instance{}, nil },
		describe:  func(context.Context, ...iaas.Ref) ([]iaas.Instance, error) { enter(); return nil, nil },
		terminate: func(context.Context, ...iaas.Ref) error { enter(); return nil },
	}
	d := iaas.WithLimit(stub, limit)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			ctx := context.Background()
			switch i % 3 {
			case 0:
				d.Launch(ctx, iaas.LaunchSpec{})
			case 1:
				d.Describe(ctx, iaas.Ref{ID: "x"})
			default:
				d.Terminate(ctx, iaas.Ref{ID: "x"})
			}
		})
	}
	for range limit {
		<-entered // the first 7 are inside and held there
	}
	if got := peak.Load(); got != limit {
		t.Errorf("with callers held: peak in flight = %d, want %d", got, limit)
	}
	close(release)
	wg.Wait()
	if got := peak.Load(); got > limit {
		t.Errorf("peak in flight = %d, want at most %d", got, limit)
	}
	if got := total.Load(); got != callers {
		t.Errorf("calls reaching the driver = %d, want %d", got, callers)
	}
}

// TestWithLimitContext: a caller waiting for a slot gives up when its
// context ends, and never reaches the driver.
func TestWithLimitContext(t *testing.T) {
	hold, inside := make(chan struct{}), make(chan struct{})
	var calls atomic.Int64
	stub := &stubDriver{launch: func(context.Context, iaas.LaunchSpec) (iaas.Instance, error) {
		if calls.Add(1) == 1 {
			close(inside)
			<-hold
		}
		return iaas.Instance{}, nil
	}}
	d := iaas.WithLimit(stub, 1)
	var wg sync.WaitGroup
	wg.Go(func() { d.Launch(context.Background(), iaas.LaunchSpec{}) })
	<-inside
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	wg.Go(func() { _, err := d.Launch(ctx, iaas.LaunchSpec{}); errc <- err })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("waiting Launch = %v, want context.Canceled", err)
	}
	close(hold)
	wg.Wait()
	if got := calls.Load(); got != 1 {
		t.Errorf("driver calls = %d, want 1", got)
	}
}

package iaas_test

import (
	"context"
	"sync"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// stubDriver is a function-field driver for the wrapper tests; a nil
// field succeeds with a zero value.
type stubDriver struct {
	launch    func(context.Context, iaas.LaunchSpec) (iaas.Instance, error)
	describe  func(context.Context, ...iaas.Ref) ([]iaas.Instance, error)
	terminate func(context.Context, ...iaas.Ref) error
}

func (s *stubDriver) Name() string { return "stub" }

func (s *stubDriver) Launch(ctx context.Context, spec iaas.LaunchSpec) (iaas.Instance, error) {
	if s.launch == nil {
		return iaas.Instance{ID: "i-1"}, nil
	}
	return s.launch(ctx, spec)
}

func (s *stubDriver) Describe(ctx context.Context, refs ...iaas.Ref) ([]iaas.Instance, error) {
	if s.describe == nil {
		return make([]iaas.Instance, len(refs)), nil
	}
	return s.describe(ctx, refs...)
}

func (s *stubDriver) Terminate(ctx context.Context, refs ...iaas.Ref) error {
	if s.terminate == nil {
		return nil
	}
	return s.terminate(ctx, refs...)
}

// testClock is a virtual clock. Sleep records the wait and, unless frozen,
// moves time forward by it at once; onSleep, when set, runs first (with
// the wait) and may block or cancel.
type testClock struct {
	mu      sync.Mutex
	now     time.Time
	frozen  bool
	sleeps  []time.Duration
	onSleep func(ctx context.Context, d time.Duration)
}

func newTestClock() *testClock { return &testClock{now: time.Unix(1_700_000_000, 0)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Sleep(ctx context.Context, d time.Duration) error {
	if c.onSleep != nil {
		c.onSleep(ctx, d)
	}
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	if !c.frozen && d > 0 {
		c.now = c.now.Add(d)
	}
	c.mu.Unlock()
	return ctx.Err()
}

func (c *testClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

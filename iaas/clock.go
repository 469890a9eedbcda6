package iaas

import (
	"context"
	"time"
)

// Clock is the time source of the wrappers and of drivers that simulate
// time (iaas/fake). Tests inject one that does not really sleep.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits for d, or until ctx is done, in which case it returns
	// ctx.Err(). A d of zero or less returns at once (with ctx.Err() if
	// ctx is already done).
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock returns the real clock.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// clockOrSystem returns c, or the system clock when c is nil.
func clockOrSystem(c Clock) Clock {
	if c == nil {
		return SystemClock()
	}
	return c
}

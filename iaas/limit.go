package iaas

import (
	"context"
	"fmt"
)

// WithLimit returns d with at most n of its calls (Launch, Describe,
// Terminate together) in flight at once; further callers wait their turn,
// or give up with ctx.Err() when ctx is done first. n < 1 means 1.
func WithLimit(d Driver, n int) Driver {
	return &limitDriver{d: d, sem: make(chan struct{}, max(n, 1))}
}

type limitDriver struct {
	d   Driver
	sem chan struct{}
}

var _ Driver = (*limitDriver)(nil)

func (l *limitDriver) Name() string   { return l.d.Name() }
func (l *limitDriver) Unwrap() Driver { return l.d }

func (l *limitDriver) acquire(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	select {
	case l.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: waiting for a free slot: %w", op, ctx.Err())
	}
}

func (l *limitDriver) release() { <-l.sem }

func (l *limitDriver) Launch(ctx context.Context, spec LaunchSpec) (Instance, error) {
	if err := l.acquire(ctx, "launch"); err != nil {
		return Instance{}, err
	}
	defer l.release()
	return l.d.Launch(ctx, spec)
}

func (l *limitDriver) Describe(ctx context.Context, refs ...Ref) ([]Instance, error) {
	if err := l.acquire(ctx, "describe"); err != nil {
		return nil, err
	}
	defer l.release()
	return l.d.Describe(ctx, refs...)
}

func (l *limitDriver) Terminate(ctx context.Context, refs ...Ref) error {
	if err := l.acquire(ctx, "terminate"); err != nil {
		return err
	}
	defer l.release()
	return l.d.Terminate(ctx, refs...)
}

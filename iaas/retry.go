package iaas

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
)

// RetryPolicy says how [WithRetry] retries. Only errors of the classes
// ErrThrottled and ErrTransient are retried ([Retryable]); ErrPermanent,
// ErrCapacity, ErrNotFound and anything unclassified fail at once.
type RetryPolicy struct {
	// Attempts is the most calls made in all, the first included (default 5).
	Attempts int
	// Base is the backoff ceiling before the second call; it doubles each
	// time up to Max (defaults 200ms and 10s).
	Base, Max time.Duration
	// NoJitter waits the full ceiling instead of a uniformly random time in
	// [0, ceiling) ("full jitter"). For tests.
	NoJitter bool
	// Rand returns a number in [0, 1) for the jitter (math/rand/v2 Float64
	// when nil).
	Rand func() float64
	// Clock waits between attempts (the system clock when nil).
	Clock Clock
	// Logger receives one debug line per retry (discarded when nil).
	Logger *slog.Logger
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts < 1 {
		p.Attempts = 5
	}
	if p.Base <= 0 {
		p.Base = 200 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = 10 * time.Second
	}
	if p.Max < p.Base {
		p.Max = p.Base
	}
	if p.Rand == nil {
		p.Rand = rand.Float64
	}
	p.Clock = clockOrSystem(p.Clock)
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	return p
}

// Backoff returns how long to wait after the given failed attempt (1 for
// the first call).
func (p RetryPolicy) Backoff(attempt int) time.Duration {
	p = p.withDefaults()
	ceiling := p.Base
	for i := 1; i < attempt && ceiling < p.Max; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, p.Max)
	if p.NoJitter {
		return ceiling
	}
	return time.Duration(p.Rand() * float64(ceiling))
}

// WithRetry returns d with retries of throttled and transient failures,
// backing off exponentially with full jitter, never past ctx. Describe and
// Terminate are idempotent and always retried; Launch is retried only when
// the spec carries a ClientToken, since the token makes a repeated launch
// return the first instance instead of starting a second one.
func WithRetry(d Driver, p RetryPolicy) Driver {
	return &retryDriver{d: d, p: p.withDefaults()}
}

type retryDriver struct {
	d Driver
	p RetryPolicy
}

var _ Driver = (*retryDriver)(nil)

func (r *retryDriver) Name() string   { return r.d.Name() }
func (r *retryDriver) Unwrap() Driver { return r.d }

func (r *retryDriver) Launch(ctx context.Context, spec LaunchSpec) (Instance, error) {
	var inst Instance
	attempts := r.p.Attempts
	if spec.ClientToken == "" {
		attempts = 1
	}
	err := r.do(ctx, "launch", attempts, func() (err error) {
		inst, err = r.d.Launch(ctx, spec)
		return err
	})
	return inst, err
}

func (r *retryDriver) Describe(ctx context.Context, refs ...Ref) ([]Instance, error) {
	var out []Instance
	err := r.do(ctx, "describe", r.p.Attempts, func() (err error) {
		out, err = r.d.Describe(ctx, refs...)
		return err
	})
	return out, err
}

func (r *retryDriver) Terminate(ctx context.Context, refs ...Ref) error {
	return r.do(ctx, "terminate", r.p.Attempts, func() error {
		return r.d.Terminate(ctx, refs...)
	})
}

// do calls f until it succeeds, fails with a class not worth retrying, or
// attempts are used up; it waits between calls and gives up when ctx is
// done.
func (r *retryDriver) do(ctx context.Context, op string, attempts int, f func() error) error {
	for attempt := 1; ; attempt++ {
		err := f()
		if err == nil || !Retryable(err) || ctx.Err() != nil {
			return err
		}
		if attempt >= attempts {
			if attempts == 1 {
				return err
			}
			return fmt.Errorf("gave up after %d attempts: %w", attempt, err)
		}
		wait := r.p.Backoff(attempt)
		r.p.Logger.Debug("iaas retry", "driver", r.d.Name(), "op", op,
			"attempt", attempt, "wait", wait, "err", err)
		if cerr := r.p.Clock.Sleep(ctx, wait); cerr != nil {
			// The context ended the operation: err is said, not wrapped,
			// so its class (ErrThrottled...) does not make the caller
			// retry or classify a cancelled operation.
			return fmt.Errorf("%w (while waiting to retry %s: %v)", cerr, op, err)
		}
	}
}

package verify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudinitd/cloudinitd/remote"
)

// Backoff says how often to try. The zero value tries until ctx ends,
// waiting 1s, 2s, 4s... up to 30s between attempts.
type Backoff struct {
	// Initial is the wait after the first failed attempt (default 1s).
	Initial time.Duration
	// Max caps the wait (default 30s).
	Max time.Duration
	// Multiplier grows the wait after each failure (default 2; use 1 for the
	// original's fixed delays).
	Multiplier float64
	// Attempts bounds the number of tries; 0 means until ctx ends.
	Attempts int
	// AttemptTimeout bounds each try (0: only ctx bounds it).
	AttemptTimeout time.Duration
	// After returns a channel that fires after d; nil means time.After.
	// Tests inject a fake clock here.
	After func(d time.Duration) <-chan time.Time
}

// permanent marks an error that must stop polling at once.
type permanent struct{ err error }

func (p *permanent) Error() string { return p.err.Error() }
func (p *permanent) Unwrap() error { return p.err }

// Permanent marks err as definite (an instance that failed or terminated,
// refused authentication): Poll returns it without further attempts.
// Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanent{err}
}

// IsPermanent reports whether err was marked by Permanent or is a definite
// SSH failure (remote.IsPermanent: authentication, host key mismatch).
func IsPermanent(err error) bool {
	var p *permanent
	return errors.As(err, &p) || remote.IsPermanent(err)
}

// ErrGaveUp is wrapped when every allowed attempt failed.
var ErrGaveUp = errors.New("gave up")

// Poll calls try until it returns nil, returns a permanent error (see
// IsPermanent), runs out of attempts or ctx ends. Waits between attempts
// use a timer raced against ctx, never a bare sleep. When ctx ends the
// error wraps remote.ErrTimeout (deadline) or ctx.Err(), and the last
// attempt's error.
func Poll(ctx context.Context, b Backoff, try func(ctx context.Context) error) error {
	b = b.withDefaults()
	wait := b.Initial
	var last error // the previous attempt's, kept when ctx ends as a wait ends
	for attempt := 1; ; attempt++ {
		if ctx.Err() != nil {
			return ctxError(ctx, attempt-1, last)
		}
		err := tryOnce(ctx, b.AttemptTimeout, try)
		last = err
		switch {
		case err == nil:
			return nil
		case IsPermanent(err):
			return err
		case ctx.Err() != nil:
			return ctxError(ctx, attempt, err)
		case b.Attempts > 0 && attempt >= b.Attempts:
			return fmt.Errorf("%w after %d attempts: %w", ErrGaveUp, attempt, err)
		}
		select {
		case <-ctx.Done():
			return ctxError(ctx, attempt, err)
		case <-b.After(wait):
		}
		wait = min(time.Duration(float64(wait)*b.Multiplier), b.Max)
	}
}

func tryOnce(ctx context.Context, timeout time.Duration, try func(context.Context) error) error {
	if timeout <= 0 {
		return try(ctx)
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return try(tctx)
}

func ctxError(ctx context.Context, attempts int, last error) error {
	cause := ctx.Err()
	if errors.Is(cause, context.DeadlineExceeded) {
		cause = fmt.Errorf("%w: %w", remote.ErrTimeout, cause)
	}
	if last == nil {
		return fmt.Errorf("%w after %d attempts", cause, attempts)
	}
	return fmt.Errorf("%w after %d attempts (last error: %w)", cause, attempts, last)
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = time.Second
	}
	if b.Max <= 0 {
		b.Max = 30 * time.Second
	}
	if b.Max < b.Initial {
		b.Max = b.Initial
	}
	if b.Multiplier < 1 {
		b.Multiplier = 2
	}
	if b.After == nil {
		b.After = time.After
	}
	return b
}

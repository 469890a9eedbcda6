package verify_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/verify"
	"github.com/google/go-cmp/cmp"
)

// fakeClock fires every timer at once and records the waits asked for.
type fakeClock struct{ waits []time.Duration }

func (f *fakeClock) After(d time.Duration) <-chan time.Time {
	f.waits = append(f.waits, d)
	ch := make(chan time.Time, 1)
	ch <- time.Time{}
	return ch
}

func TestPollBackoff(t *testing.T) {
	errBusy := errors.New("busy")
	for _, tc := range []struct {
		name      string
		b         verify.Backoff
		failures  int   // try fails this many times, then succeeds
		final     error // returned on the failure-th call instead, if set
		wantCalls int
		wantWaits []time.Duration
		wantErr   error
	}{
		{
			name: "doubles up to max", b: verify.Backoff{Initial: time.Second, Max: 5 * time.Second},
			failures: 5, wantCalls: 6,
			wantWaits: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second},
		},
		{
			name: "fixed delay and attempt budget", b: verify.SSHBackoff(),
			failures: 10, wantCalls: 2, wantWaits: []time.Duration{10 * time.Second}, wantErr: verify.ErrGaveUp,
		},
		{
			name: "permanent stops at once", b: verify.Backoff{Initial: time.Second},
			failures: 10, final: verify.Permanent(errors.New("instance failed")), wantCalls: 1,
		},
		{
			name: "ssh auth failure is permanent", b: verify.Backoff{Initial: time.Second},
			failures: 10, final: remote.ErrAuth, wantCalls: 1, wantErr: remote.ErrAuth,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{}
			tc.b.After = clock.After
			calls := 0
			err := verify.Poll(context.Background(), tc.b, func(context.Context) error {
				calls++
				if tc.final != nil {
					return tc.final
				}
				if calls <= tc.failures {
					return errBusy
				}
				return nil
			})
			if calls != tc.wantCalls {
				t.Errorf("calls = %d, want %d", calls, tc.wantCalls)
			}
			if diff := cmp.Diff(tc.wantWaits, clock.waits); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			switch {
			case tc.final != nil && (!verify.IsPermanent(err) || !errors.Is(err, tc.final)):
				t.Errorf("err = %v, want permanent %v", err, tc.final)
			case tc.final == nil && tc.wantErr == nil && err != nil:
				t.Errorf("err = %v", err)
			case tc.final == nil && tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

// TestPollDeadline: Poll stops at a real deadline, saying it timed out,
// and wraps the last attempt's error when there was an attempt (a process
// starved past the deadline may not have made one).
func TestPollDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	errBusy := errors.New("busy")
	calls := 0
	err := verify.Poll(ctx, verify.Backoff{Initial: 10 * time.Millisecond}, func(context.Context) error {
		calls++
		return errBusy
	})
	if !errors.Is(err, remote.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errBusy) != (calls > 0) {
		t.Errorf("err = %v after %d calls, want ErrTimeout, DeadlineExceeded and the last error", err, calls)
	}
}

// expiringCtx is a context whose deadline passes when expire is called, so
// a test picks the exact moment (during an attempt, a wait, or as a wait
// ends) instead of racing a timer.
type expiringCtx struct {
	context.Context
	done chan struct{}
}

func newExpiringCtx() *expiringCtx {
	return &expiringCtx{Context: context.Background(), done: make(chan struct{})}
}

func (c *expiringCtx) Done() <-chan struct{} { return c.done }

func (c *expiringCtx) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

func (c *expiringCtx) expire() {
	if c.Err() == nil {
		close(c.done)
	}
}

// TestPollDeadlineMoments: wherever the deadline falls, Poll's error says
// it timed out after how many attempts and wraps the last attempt's
// error. "as a wait ends" makes the timer and the deadline fire together;
// Poll's select may take either, so that case runs many times.
func TestPollDeadlineMoments(t *testing.T) {
	errBusy := errors.New("busy")
	for _, tc := range []struct {
		name    string
		runs    int
		expired bool                                             // before Poll is called
		expire  func(c *expiringCtx, calls int)                  // in each attempt
		wait    func(c *expiringCtx, waits int) <-chan time.Time // each wait's timer
		want    string
		wantErr bool // wraps errBusy
	}{
		{
			name: "before the first attempt", runs: 1, expired: true,
			want: "timed out: context deadline exceeded after 0 attempts",
		},
		{
			name: "during an attempt", runs: 1,
			expire: func(c *expiringCtx, calls int) {
				if calls == 2 {
					c.expire()
				}
			},
			want: "timed out: context deadline exceeded after 2 attempts (last error: busy)", wantErr: true,
		},
		{
			name: "during a wait", runs: 1,
			wait: func(c *expiringCtx, waits int) <-chan time.Time {
				if waits == 2 {
					c.expire()
					return nil // never fires
				}
				return fired()
			},
			want: "timed out: context deadline exceeded after 2 attempts (last error: busy)", wantErr: true,
		},
		{
			name: "as a wait ends", runs: 64,
			wait: func(c *expiringCtx, waits int) <-chan time.Time {
				if waits == 2 {
					c.expire()
				}
				return fired()
			},
			want: "timed out: context deadline exceeded after 2 attempts (last error: busy)", wantErr: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range tc.runs {
				ctx := newExpiringCtx()
				if tc.expired {
					ctx.expire()
				}
				calls, waits := 0, 0
				b := verify.Backoff{Initial: time.Second, After: func(time.Duration) <-chan time.Time {
					waits++
					if tc.wait == nil {
						return fired()
					}
					return tc.wait(ctx, waits)
				}}
				err := verify.Poll(ctx, b, func(context.Context) error {
					calls++
					if tc.expire != nil {
						tc.expire(ctx, calls)
					}
					return errBusy
				})
				if err == nil || err.Error() != tc.want || !errors.Is(err, remote.ErrTimeout) || errors.Is(err, errBusy) != tc.wantErr {
					t.Fatalf("err = %v, want %q (ErrTimeout; wraps the last error: %v)", err, tc.want, tc.wantErr)
				}
			}
		})
	}
}

// fired is a timer channel that has fired.
func fired() <-chan time.Time {
	ch := make(chan time.Time, 1)
	ch <- time.Time{}
	return ch
}

func TestPollAttemptTimeout(t *testing.T) {
	calls := 0
	err := verify.Poll(context.Background(), verify.Backoff{Initial: time.Millisecond, Attempts: 2, AttemptTimeout: 10 * time.Millisecond},
		func(ctx context.Context) error {
			calls++
			<-ctx.Done() // each attempt is cut by its own timeout, not the caller's
			return ctx.Err()
		})
	if calls != 2 || !errors.Is(err, verify.ErrGaveUp) {
		t.Errorf("calls = %d, err = %v; want 2 attempts then ErrGaveUp", calls, err)
	}
}

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

func TestPollDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	errBusy := errors.New("busy")
	err := verify.Poll(ctx, verify.Backoff{Initial: 10 * time.Millisecond}, func(context.Context) error { return errBusy })
	if !errors.Is(err, remote.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, errBusy) {
		t.Errorf("err = %v, want ErrTimeout, DeadlineExceeded and the last error", err)
	}
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

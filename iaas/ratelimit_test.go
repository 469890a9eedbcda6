package iaas_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// TestWithRateLimit sends 200 concurrent calls at a frozen clock and reads
// the wait each was given: the i-th call (by wait) must not start before
// (i-burst+1)/rate, i.e. by any virtual time T at most burst + rate*T
// calls have started, and the bucket is used fully (no wait is longer than
// needed).
func TestWithRateLimit(t *testing.T) {
	const perSecond, burst, callers = 10.0, 5, 200
	clock := newTestClock()
	clock.frozen = true
	d := iaas.WithRateLimit(&stubDriver{}, perSecond, burst, iaas.RateClock(clock))
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				_, err = d.Launch(context.Background(), iaas.LaunchSpec{})
			} else {
				_, err = d.Describe(context.Background(), iaas.Ref{ID: "i-2"}) // not launched: default bucket
			}
			if err != nil {
				t.Errorf("call %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	waits := clock.Sleeps()
	if len(waits) != callers {
		t.Fatalf("%d waits recorded, want %d", len(waits), callers)
	}
	slices.Sort(waits)
	for i, w := range waits {
		want := time.Duration(0)
		if i >= burst {
			want = time.Duration(float64(i-burst+1) / perSecond * float64(time.Second))
		}
		if diff := w - want; diff < -time.Microsecond || diff > time.Microsecond {
			t.Errorf("call #%d (by start) waits %v, want %v", i, w, want)
		}
	}
}

// TestWithRateLimitPerCredential: each credential key has its own bucket,
// and Describe uses the bucket of the key that launched the instance.
func TestWithRateLimitPerCredential(t *testing.T) {
	clock := newTestClock()
	clock.frozen = true
	stub := &stubDriver{launch: func(_ context.Context, spec iaas.LaunchSpec) (iaas.Instance, error) {
		return iaas.Instance{ID: "i-" + spec.Credentials.Key}, nil
	}}
	d := iaas.WithRateLimit(stub, 1, 1, iaas.RateClock(clock))
	ctx := context.Background()
	for _, key := range []string{"A", "B"} {
		if _, err := d.Launch(ctx, iaas.LaunchSpec{Credentials: iaas.Credentials{Key: key, Secret: "s"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Describe(ctx, iaas.Ref{ID: "i-A"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Describe(ctx, iaas.Ref{ID: "unknown"}); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{0, 0, time.Second, 0} // A, B, A again, default bucket
	if got := clock.Sleeps(); !slices.Equal(got, want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
}

// TestWithRateLimitCancel: a call that gives up while waiting returns its
// token, so the next call waits no longer than it would have.
func TestWithRateLimitCancel(t *testing.T) {
	clock := newTestClock()
	clock.frozen = true
	ctx, cancel := context.WithCancel(context.Background())
	clock.onSleep = func(sctx context.Context, d time.Duration) {
		if d > 0 && sctx == ctx {
			cancel()
		}
	}
	d := iaas.WithRateLimit(&stubDriver{}, 1, 1, iaas.RateClock(clock))
	if err := d.Terminate(context.Background(), iaas.Ref{ID: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Terminate(ctx, iaas.Ref{ID: "x"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Terminate while waiting = %v, want context.Canceled", err)
	}
	if err := d.Terminate(context.Background(), iaas.Ref{ID: "x"}); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{0, time.Second, time.Second}
	if got := clock.Sleeps(); !slices.Equal(got, want) {
		t.Errorf("waits = %v, want %v (the canceled call's token given back)", got, want)
	}
}

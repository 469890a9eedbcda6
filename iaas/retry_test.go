package iaas_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/iaas"
)

func classed(class error) error { return &iaas.CloudError{Class: class, Op: "launch", Message: "boom"} }

func TestWithRetry(t *testing.T) {
	const base = 100 * time.Millisecond
	cases := []struct {
		name      string
		errs      []error // returned by successive calls; nil after the list
		token     string
		wantCalls int
		wantSleep []time.Duration
		wantIs    error // the class of the returned error; nil: success
		wantErr   bool  // an error is expected even though wantIs is nil
	}{
		{"throttled then ok", []error{classed(iaas.ErrThrottled), classed(iaas.ErrThrottled)}, "tok", 3,
			[]time.Duration{base, 2 * base}, nil, false},
		{"transient then ok", []error{classed(iaas.ErrTransient)}, "tok", 2, []time.Duration{base}, nil, false},
		{"attempts bounded", repeat(classed(iaas.ErrTransient), 10), "tok", 4,
			[]time.Duration{base, 2 * base, 3 * base}, iaas.ErrTransient, true},
		{"permanent not retried", []error{classed(iaas.ErrPermanent)}, "tok", 1, nil, iaas.ErrPermanent, true},
		{"capacity not retried", []error{classed(iaas.ErrCapacity)}, "tok", 1, nil, iaas.ErrCapacity, true},
		{"not found not retried", []error{classed(iaas.ErrNotFound)}, "tok", 1, nil, iaas.ErrNotFound, true},
		{"unclassified not retried", []error{errors.New("odd")}, "tok", 1, nil, nil, true},
		{"launch without token not retried", []error{classed(iaas.ErrThrottled)}, "", 1, nil, iaas.ErrThrottled, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			stub := &stubDriver{launch: func(context.Context, iaas.LaunchSpec) (iaas.Instance, error) {
				calls++
				if calls <= len(tc.errs) {
					return iaas.Instance{}, tc.errs[calls-1]
				}
				return iaas.Instance{ID: "i-1"}, nil
			}}
			clock := newTestClock()
			d := iaas.WithRetry(stub, iaas.RetryPolicy{Attempts: 4, Base: base, Max: 3 * base, NoJitter: true, Clock: clock})
			_, err := d.Launch(context.Background(), iaas.LaunchSpec{ClientToken: tc.token})
			if calls != tc.wantCalls {
				t.Errorf("calls = %d, want %d", calls, tc.wantCalls)
			}
			if diff := cmp.Diff(tc.wantSleep, clock.Sleeps()); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			if (err != nil) != tc.wantErr {
				t.Errorf("err = %v, want error: %v", err, tc.wantErr)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("err = %v, want class %v", err, tc.wantIs)
			}
		})
	}
}

func repeat(err error, n int) []error {
	out := make([]error, n)
	for i := range out {
		out[i] = err
	}
	return out
}

func TestWithRetryDescribeTerminate(t *testing.T) {
	describes, terminates := 0, 0
	stub := &stubDriver{
		describe: func(_ context.Context, refs ...iaas.Ref) ([]iaas.Instance, error) {
			if describes++; describes < 3 {
				return nil, classed(iaas.ErrThrottled)
			}
			return []iaas.Instance{{ID: refs[0].ID}}, nil
		},
		terminate: func(context.Context, ...iaas.Ref) error {
			if terminates++; terminates < 2 {
				return classed(iaas.ErrTransient)
			}
			return nil
		},
	}
	d := iaas.WithRetry(stub, iaas.RetryPolicy{Clock: newTestClock()})
	got, err := d.Describe(context.Background(), iaas.Ref{ID: "i-9"})
	if err != nil || len(got) != 1 || got[0].ID != "i-9" || describes != 3 {
		t.Errorf("Describe = %v, %v after %d calls; want [i-9], nil after 3", got, err, describes)
	}
	if err := d.Terminate(context.Background(), iaas.Ref{ID: "i-9"}); err != nil || terminates != 2 {
		t.Errorf("Terminate = %v after %d calls; want nil after 2", err, terminates)
	}
}

// TestWithRetryContextCancel cancels while the wrapper waits to retry: it
// must stop at once with context.Canceled.
func TestWithRetryContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := newTestClock()
	clock.onSleep = func(context.Context, time.Duration) { cancel() }
	calls := 0
	stub := &stubDriver{launch: func(context.Context, iaas.LaunchSpec) (iaas.Instance, error) {
		calls++
		return iaas.Instance{}, classed(iaas.ErrThrottled)
	}}
	d := iaas.WithRetry(stub, iaas.RetryPolicy{Attempts: 10, Clock: clock})
	_, err := d.Launch(ctx, iaas.LaunchSpec{ClientToken: "tok"})
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Errorf("Launch = %v after %d calls, want context.Canceled after 1", err, calls)
	}
	if !strings.Contains(fmt.Sprint(err), "throttled") && !strings.Contains(fmt.Sprint(err), "boom") {
		t.Errorf("error %q does not mention the last failure", err)
	}
}

func TestBackoff(t *testing.T) {
	p := iaas.RetryPolicy{Base: time.Second, Max: 5 * time.Second, Rand: func() float64 { return 0.5 }}
	var got []time.Duration
	for attempt := 1; attempt <= 5; attempt++ {
		got = append(got, p.Backoff(attempt))
	}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 2500 * time.Millisecond, 2500 * time.Millisecond}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Backoff with jitter 0.5 (-want +got):\n%s", diff)
	}
}

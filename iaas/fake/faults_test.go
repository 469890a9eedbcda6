package fake_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
)

// failures launches n distinct tokens once each and returns those that
// failed, checking every failure is an injected ErrTransient.
func failures(t *testing.T, d iaas.Driver, opts map[string]string, n int) []string {
	t.Helper()
	var failed []string
	for i := range n {
		tok := fmt.Sprintf("tok-%d", i)
		_, err := d.Launch(context.Background(), iaas.LaunchSpec{ClientToken: tok, Options: opts})
		if err != nil {
			if !errors.Is(err, iaas.ErrTransient) {
				t.Fatalf("Launch(%s): %v, want ErrTransient", tok, err)
			}
			failed = append(failed, tok)
		}
	}
	return failed
}

func TestErrorRate(t *testing.T) {
	opts := map[string]string{fake.KeyErrorRate: "0.5", fake.KeySeed: "7", fake.KeyRunningDelay: "0"}
	first := failures(t, newDriver(t, newManualClock(), nil), opts, 100)
	if len(first) < 25 || len(first) > 75 {
		t.Errorf("rate 0.5: %d of 100 launches failed", len(first))
	}
	if again := failures(t, newDriver(t, newManualClock(), nil), opts, 100); !slices.Equal(first, again) {
		t.Errorf("same seed, different failures:\n%v\n%v", first, again)
	}
	opts[fake.KeySeed] = "8"
	if other := failures(t, newDriver(t, newManualClock(), nil), opts, 100); slices.Equal(first, other) {
		t.Error("seeds 7 and 8 fail the same launches")
	}
	for rate, want := range map[string]int{"0": 0, "1": 20} {
		got := failures(t, newDriver(t, newManualClock(), nil), map[string]string{fake.KeyErrorRate: rate}, 20)
		if len(got) != want {
			t.Errorf("rate %s: %d of 20 failed, want %d", rate, len(got), want)
		}
	}
}

// TestErrorRateWithRetry: behind WithRetry every launch succeeds despite a
// 50% injected failure rate, each token giving one instance.
func TestErrorRateWithRetry(t *testing.T) {
	clock := newManualClock()
	d := iaas.WithRetry(newDriver(t, clock, nil), iaas.RetryPolicy{Attempts: 30, Clock: clock})
	opts := map[string]string{fake.KeyErrorRate: "0.5", fake.KeyRunningDelay: "0"}
	ids := map[string]bool{}
	for i := range 50 {
		inst := launch(t, d, fmt.Sprintf("tok-%d", i), opts)
		ids[inst.ID] = true
	}
	if len(ids) != 50 {
		t.Errorf("%d distinct instances for 50 tokens", len(ids))
	}
	if len(clock.sleeps) == 0 {
		t.Error("no retry happened: the error rate did not bite")
	}
}

func TestCapacity(t *testing.T) {
	clock := newManualClock()
	d := newDriver(t, clock, nil)
	opts := map[string]string{fake.KeyCapacity: "3", fake.KeyTerminateDelay: "1"}
	var first []iaas.Instance
	for i := range 3 {
		first = append(first, launch(t, d, fmt.Sprintf("tok-%d", i), opts))
	}
	_, err := d.Launch(context.Background(), iaas.LaunchSpec{ClientToken: "tok-3", Options: opts})
	if !errors.Is(err, iaas.ErrCapacity) || iaas.Retryable(err) {
		t.Fatalf("fourth Launch: %v, want ErrCapacity (not retryable)", err)
	}
	if again := launch(t, d, "tok-0", opts); again.ID != first[0].ID {
		t.Errorf("repeated token at full capacity: id %s, want %s", again.ID, first[0].ID)
	}
	if err := d.Terminate(context.Background(), iaas.Ref{ID: first[1].ID}); err != nil {
		t.Fatal(err)
	}
	launch(t, d, "tok-3", opts) // a terminating instance frees its place
	if _, err := d.Launch(context.Background(), iaas.LaunchSpec{ClientToken: "tok-4", Options: opts}); !errors.Is(err, iaas.ErrCapacity) {
		t.Errorf("Launch when full again: %v, want ErrCapacity", err)
	}
}

// TestDieAfterFreesCapacity: a failed instance no longer counts as live.
func TestDieAfterFreesCapacity(t *testing.T) {
	clock := newManualClock()
	d := newDriver(t, clock, nil)
	opts := map[string]string{fake.KeyCapacity: "1", fake.KeyRunningDelay: "0", fake.KeyDieAfter: "1m"}
	launch(t, d, "a", opts)
	if _, err := d.Launch(context.Background(), iaas.LaunchSpec{ClientToken: "b", Options: opts}); !errors.Is(err, iaas.ErrCapacity) {
		t.Fatalf("Launch at capacity: %v", err)
	}
	clock.Advance(time.Minute)
	launch(t, d, "b", opts)
}

func TestLaunchWithoutToken(t *testing.T) {
	d := newDriver(t, newManualClock(), nil)
	a, b := launch(t, d, "", nil), launch(t, d, "", nil)
	if a.ID == b.ID {
		t.Errorf("two launches without a token share id %s", a.ID)
	}
	for _, id := range []string{a.ID, b.ID} {
		if len(id) != len("fake-")+8 || id[:5] != "fake-" {
			t.Errorf("id %q, want fake- and 8 hex digits", id)
		}
	}
}

func TestFactory(t *testing.T) {
	dir := t.TempDir()
	env := func(string) (string, bool) { return "", false }
	d, err := fake.Factory(iaas.Config{StateDir: dir, LookupEnv: env})
	if err != nil {
		t.Fatal(err)
	}
	inst := launch(t, d, "tok", nil)
	again, err := fake.Factory(iaas.Config{StateDir: dir, LookupEnv: env})
	if err != nil {
		t.Fatal(err)
	}
	if got := state(t, again, inst.ID); errors.Is(got.Err, iaas.ErrNotFound) {
		t.Errorf("second factory driver does not see %s", inst.ID)
	}
	if _, err := fake.Factory(iaas.Config{LookupEnv: env}); err == nil {
		t.Error("Factory without a state dir and without memory mode succeeded")
	}
	mem := func(k string) (string, bool) { return "1", k == fake.EnvMemory }
	if _, err := fake.Factory(iaas.Config{LookupEnv: mem}); err != nil {
		t.Errorf("Factory in memory mode: %v", err)
	}
}

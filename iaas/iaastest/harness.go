package iaastest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// Harness tells [Run] how to drive one driver.
type Harness struct {
	// NewDriver returns a new driver on the same cloud state each time it
	// is called, as a fresh process would make. Required.
	NewDriver func(t *testing.T) iaas.Driver

	// Spec is the launch template. The suite sets Run, Service, Attempt and
	// ClientToken, and copies Options before use.
	Spec iaas.LaunchSpec

	// Timeout bounds each wait for a state (default 30s); Poll is the pause
	// between Describe calls while waiting (default 20ms).
	Timeout, Poll time.Duration

	// UnknownID is an id the cloud does not know (default
	// "iaastest-unknown-0").
	UnknownID string

	// Permanent, when set, changes a spec so that Launch fails with an
	// error of class iaas.ErrPermanent. The error-class test is skipped
	// without it.
	Permanent func(spec *iaas.LaunchSpec)

	// Concurrency is how many launches run at once in the concurrency test
	// (default 10).
	Concurrency int

	// RunFinder says the driver has the iaas.RunFinder ability (found
	// with iaas.As through wrappers): the FindByRun test then requires it.
	// Without it the test runs only when the driver has the ability.
	RunFinder bool
}

func (h *Harness) defaults() {
	if h.Timeout <= 0 {
		h.Timeout = 30 * time.Second
	}
	if h.Poll <= 0 {
		h.Poll = 20 * time.Millisecond
	}
	if h.UnknownID == "" {
		h.UnknownID = "iaastest-unknown-0"
	}
	if h.Concurrency <= 0 {
		h.Concurrency = 10
	}
}

// suite is one Run: the harness and a run name unique to it, so tokens
// never meet those of an earlier run on the same cloud state.
type suite struct {
	h   Harness
	run iaas.RunID
}

func (s *suite) spec(service string) iaas.LaunchSpec {
	sp := s.h.Spec
	sp.Options = maps.Clone(s.h.Spec.Options)
	sp.Run, sp.Service, sp.Attempt = s.run, service, 1
	sp.ClientToken = iaas.ClientToken(sp.Run.String(), sp.Service, sp.Attempt)
	return sp
}

// launch launches spec on d and terminates the instance when the test
// ends, through a fresh driver and a context of its own.
func (s *suite) launch(t *testing.T, d iaas.Driver, spec iaas.LaunchSpec) iaas.Instance {
	t.Helper()
	inst, err := d.Launch(context.Background(), spec)
	if err != nil {
		t.Fatalf("Launch(%s): %v", spec.Service, err)
	}
	if inst.ID == "" {
		t.Fatalf("Launch(%s) returned an instance without an id", spec.Service)
	}
	s.cleanup(t, ref(inst))
	return inst
}

func (s *suite) cleanup(t *testing.T, refs ...iaas.Ref) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.h.Timeout)
		defer cancel()
		if err := s.h.NewDriver(t).Terminate(ctx, refs...); err != nil {
			t.Errorf("cleanup: Terminate: %v", err)
		}
	})
}

// wait describes ref until ok says so, or fails the test after Timeout.
func (s *suite) wait(t *testing.T, d iaas.Driver, r iaas.Ref, what string, ok func(iaas.Instance) bool) iaas.Instance {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), s.h.Timeout)
	defer cancel()
	inst, err := WaitFor(ctx, d, r, s.h.Poll, ok)
	if err != nil {
		t.Fatalf("waiting for %s %s: %v", r.ID, what, err)
	}
	return inst
}

// WaitFor describes ref every poll until ok returns true for it, and
// returns that view; it fails when Describe fails or ctx ends (with the
// last state seen).
func WaitFor(ctx context.Context, d iaas.Driver, r iaas.Ref, poll time.Duration, ok func(iaas.Instance) bool) (iaas.Instance, error) {
	var last iaas.Instance
	for {
		got, err := d.Describe(ctx, r)
		if err != nil {
			return last, fmt.Errorf("describe: %w", err)
		}
		if len(got) != 1 {
			return last, fmt.Errorf("describe of one id returned %d instances", len(got))
		}
		last = got[0]
		if ok(last) {
			return last, nil
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			// The wait timed out: the instance's last error is said, not
			// wrapped, as it is not why the wait failed.
			return last, fmt.Errorf("%w (last state %s, err %v)", ctx.Err(), last.State, last.Err)
		case <-t.C:
		}
	}
}

func ref(inst iaas.Instance) iaas.Ref { return iaas.Ref{ID: inst.ID, Handle: inst.Handle} }

func isState(states ...iaas.State) func(iaas.Instance) bool {
	return func(inst iaas.Instance) bool {
		for _, s := range states {
			if inst.State == s {
				return true
			}
		}
		return false
	}
}

// randomRun is a run id no earlier run of the suite used.
func randomRun(t *testing.T) iaas.RunID {
	return iaas.RunID{Name: "iaastest-" + randomHex(t), Incarnation: randomHex(t)}
}

func randomHex(t *testing.T) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

package iaastest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// Run runs the conformance suite against the driver h makes, one subtest
// per clause of the iaas.Driver contract. Every instance it launches is
// terminated when its subtest ends.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.NewDriver == nil {
		t.Fatal("iaastest: Harness.NewDriver is nil")
	}
	h.defaults()
	s := &suite{h: h, run: randomRun(t)}
	tests := []struct {
		name string
		fn   func(*testing.T)
	}{
		{"LaunchReachesRunning", s.testLaunchReachesRunning},
		{"LaunchIdempotent", s.testLaunchIdempotent},
		{"DescribeFromFreshDriver", s.testDescribeFromFreshDriver},
		{"DescribeUnknown", s.testDescribeUnknown},
		{"TerminateUnknown", s.testTerminateUnknown},
		{"TerminateTwice", s.testTerminateTwice},
		{"TerminateThenDescribe", s.testTerminateThenDescribe},
		{"Batch", s.testBatch},
		{"ConcurrentLaunches", s.testConcurrentLaunches},
		{"PermanentError", s.testPermanentError},
		{"ContextCanceled", s.testContextCanceled},
		{"FindByRun", s.testFindByRun},
		{"FindStartedBy", s.testFindStartedBy},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.fn)
	}
}

func (s *suite) testLaunchReachesRunning(t *testing.T) {
	d := s.h.NewDriver(t)
	if d.Name() == "" {
		t.Error("Name() is empty")
	}
	inst := s.launch(t, d, s.spec("running"))
	if inst.State != iaas.StatePending && inst.State != iaas.StateRunning {
		t.Errorf("Launch returned state %s, want pending or running", inst.State)
	}
	got := s.wait(t, d, ref(inst), "running", isState(iaas.StateRunning))
	if got.ID != inst.ID {
		t.Errorf("Describe returned id %q, want %q", got.ID, inst.ID)
	}
	if got.Hostname == "" {
		t.Error("running instance has no Hostname")
	}
	if got.Err != nil {
		t.Errorf("running instance has Err %v", got.Err)
	}
}

func (s *suite) testLaunchIdempotent(t *testing.T) {
	d := s.h.NewDriver(t)
	spec := s.spec("idempotent")
	first := s.launch(t, d, spec)
	again := s.launch(t, d, spec)
	if again.ID != first.ID {
		t.Errorf("second Launch with token %q: id %q, want %q", spec.ClientToken, again.ID, first.ID)
	}
	fresh := s.launch(t, s.h.NewDriver(t), spec)
	if fresh.ID != first.ID {
		t.Errorf("Launch from a fresh driver with token %q: id %q, want %q", spec.ClientToken, fresh.ID, first.ID)
	}
	other := s.spec("idempotent-other")
	if o := s.launch(t, d, other); o.ID == first.ID {
		t.Errorf("Launch with token %q reused id %q of token %q", other.ClientToken, o.ID, spec.ClientToken)
	}
}

func (s *suite) testDescribeFromFreshDriver(t *testing.T) {
	inst := s.launch(t, s.h.NewDriver(t), s.spec("fresh"))
	fresh := s.h.NewDriver(t)
	got := s.wait(t, fresh, ref(inst), "running (fresh driver)", isState(iaas.StateRunning))
	if got.ID != inst.ID {
		t.Errorf("fresh driver described id %q, want %q", got.ID, inst.ID)
	}
}

func (s *suite) testDescribeUnknown(t *testing.T) {
	got, err := s.h.NewDriver(t).Describe(context.Background(), iaas.Ref{ID: s.h.UnknownID})
	if err != nil {
		t.Fatalf("Describe(unknown) = %v, want no error of the call", err)
	}
	if len(got) != 1 {
		t.Fatalf("Describe(unknown) returned %d instances, want 1", len(got))
	}
	checkNotFound(t, got[0], s.h.UnknownID)
}

func checkNotFound(t *testing.T, inst iaas.Instance, id string) {
	t.Helper()
	if inst.ID != id || inst.State != iaas.StateTerminated || !errors.Is(inst.Err, iaas.ErrNotFound) {
		t.Errorf("unknown id: got {ID:%q State:%s Err:%v}, want {ID:%q State:terminated Err: ErrNotFound}",
			inst.ID, inst.State, inst.Err, id)
	}
}

func (s *suite) testTerminateUnknown(t *testing.T) {
	if err := s.h.NewDriver(t).Terminate(context.Background(), iaas.Ref{ID: s.h.UnknownID}); err != nil {
		t.Errorf("Terminate(unknown) = %v, want nil", err)
	}
}

func (s *suite) testTerminateTwice(t *testing.T) {
	d := s.h.NewDriver(t)
	r := ref(s.launch(t, d, s.spec("twice")))
	for i, drv := range []iaas.Driver{d, d, s.h.NewDriver(t)} {
		if err := drv.Terminate(context.Background(), r); err != nil {
			t.Errorf("Terminate #%d = %v, want nil", i+1, err)
		}
	}
}

func (s *suite) testTerminateThenDescribe(t *testing.T) {
	d := s.h.NewDriver(t)
	r := ref(s.launch(t, d, s.spec("terminate")))
	if err := d.Terminate(context.Background(), r); err != nil {
		t.Fatalf("Terminate: %v", err)
	}
	got, err := d.Describe(context.Background(), r)
	if err != nil {
		t.Fatalf("Describe after Terminate: %v", err)
	}
	if st := got[0].State; st != iaas.StateTerminating && st != iaas.StateTerminated {
		t.Errorf("state after Terminate = %s, want terminating or terminated", st)
	}
	s.wait(t, d, r, "terminated", isState(iaas.StateTerminated))
}

func (s *suite) testBatch(t *testing.T) {
	d := s.h.NewDriver(t)
	var refs []iaas.Ref
	for i := range 3 {
		refs = append(refs, ref(s.launch(t, d, s.spec(fmt.Sprintf("batch-%d", i)))))
	}
	ask := []iaas.Ref{refs[2], {ID: s.h.UnknownID}, refs[0], refs[1]}
	got, err := d.Describe(context.Background(), ask...)
	if err != nil {
		t.Fatalf("Describe(batch): %v", err)
	}
	if len(got) != len(ask) {
		t.Fatalf("Describe(batch) returned %d instances, want %d", len(got), len(ask))
	}
	for i := range ask {
		if got[i].ID != ask[i].ID {
			t.Errorf("Describe(batch)[%d].ID = %q, want %q (order must be kept)", i, got[i].ID, ask[i].ID)
		}
	}
	checkNotFound(t, got[1], s.h.UnknownID)
	if err := d.Terminate(context.Background(), refs...); err != nil {
		t.Fatalf("Terminate(batch): %v", err)
	}
	after, err := s.h.NewDriver(t).Describe(context.Background(), refs...)
	if err != nil {
		t.Fatalf("Describe after Terminate(batch): %v", err)
	}
	for i, inst := range after {
		if inst.ID != refs[i].ID || (inst.State != iaas.StateTerminating && inst.State != iaas.StateTerminated) {
			t.Errorf("after Terminate(batch)[%d] = {%q %s}, want {%q terminating or terminated}", i, inst.ID, inst.State, refs[i].ID)
		}
	}
}

func (s *suite) testConcurrentLaunches(t *testing.T) {
	d := s.h.NewDriver(t)
	n := s.h.Concurrency
	insts := make([]iaas.Instance, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			insts[i], errs[i] = d.Launch(context.Background(), s.spec(fmt.Sprintf("concurrent-%d", i)))
		})
	}
	wg.Wait()
	seen := map[string]int{}
	for i := range n {
		if errs[i] != nil {
			t.Errorf("launch %d: %v", i, errs[i])
			continue
		}
		s.cleanup(t, ref(insts[i]))
		if j, dup := seen[insts[i].ID]; dup {
			t.Errorf("launches %d and %d (distinct tokens) share id %q", j, i, insts[i].ID)
		}
		seen[insts[i].ID] = i
	}
}

func (s *suite) testPermanentError(t *testing.T) {
	if s.h.Permanent == nil {
		t.Skip("harness cannot inject a permanent error")
	}
	spec := s.spec("permanent")
	s.h.Permanent(&spec)
	inst, err := s.h.NewDriver(t).Launch(context.Background(), spec)
	if err == nil {
		s.cleanup(t, ref(inst))
		t.Fatal("Launch with an injected permanent error succeeded")
	}
	if !errors.Is(err, iaas.ErrPermanent) || iaas.Retryable(err) {
		t.Errorf("Launch error %v: want class ErrPermanent, not retryable", err)
	}
}

func (s *suite) testContextCanceled(t *testing.T) {
	d := s.h.NewDriver(t)
	r := ref(s.launch(t, d, s.spec("canceled")))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if inst, err := d.Launch(ctx, s.spec("canceled-launch")); !errors.Is(err, context.Canceled) {
		if err == nil {
			s.cleanup(t, ref(inst))
		}
		t.Errorf("Launch(canceled ctx) = %v, want context.Canceled", err)
	}
	if _, err := d.Describe(ctx, r); !errors.Is(err, context.Canceled) {
		t.Errorf("Describe(canceled ctx) = %v, want context.Canceled", err)
	}
	if err := d.Terminate(ctx, r); !errors.Is(err, context.Canceled) {
		t.Errorf("Terminate(canceled ctx) = %v, want context.Canceled", err)
	}
}

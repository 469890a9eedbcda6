package ec2_test

import (
	"fmt"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/ec2/ec2test"
)

// TestBatching: Describe and Terminate make one call per 100 ids, whatever
// the mix of known and unknown ids, and keep the order asked.
func TestBatching(t *testing.T) {
	srv := newServer(t, ec2test.Options{})
	d := newDriver(nil)
	var refs []iaas.Ref
	for i := range 101 {
		inst, err := d.Launch(ctx(t), spec(srv, fmt.Sprintf("b%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, iaas.Ref{ID: inst.ID, Handle: inst.Handle})
	}
	for _, tc := range []struct {
		n, calls int
	}{{1, 1}, {3, 1}, {100, 1}, {101, 2}} {
		before := srv.Calls("DescribeInstances")
		got, err := d.Describe(ctx(t), refs[:tc.n]...)
		if err != nil {
			t.Fatalf("Describe(%d ids): %v", tc.n, err)
		}
		if c := srv.Calls("DescribeInstances") - before; c != tc.calls {
			t.Errorf("Describe(%d ids): %d calls, want %d", tc.n, c, tc.calls)
		}
		for i := range got {
			if got[i].ID != refs[i].ID || got[i].State != iaas.StateRunning {
				t.Fatalf("Describe(%d ids)[%d] = %s %s, want %s running", tc.n, i, got[i].ID, got[i].State, refs[i].ID)
			}
		}
	}
	if err := d.Terminate(ctx(t), refs[:3]...); err != nil {
		t.Fatal(err)
	}
	if c := srv.Calls("TerminateInstances"); c != 1 {
		t.Errorf("Terminate(3 ids): %d calls, want 1", c)
	}
	if err := d.Terminate(ctx(t), refs...); err != nil {
		t.Fatal(err)
	}
	if c := srv.Calls("TerminateInstances"); c != 3 {
		t.Errorf("Terminate(101 ids): %d calls, want 2 more", c-1)
	}
	// An unknown id makes EC2 refuse the call; the driver retries with the
	// ids it knows.
	unknown := iaas.Ref{ID: "i-0000000000000dead"}
	if err := d.Terminate(ctx(t), refs[0], unknown); err != nil {
		t.Errorf("Terminate(known, unknown) = %v, want nil", err)
	}
	for _, in := range srv.Instances() {
		if in.State != "shutting-down" && in.State != "terminated" {
			t.Errorf("instance %s is %s after Terminate", in.ID, in.State)
		}
	}
}

package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/verify"
)

// WaitRunning polls the instance ref on d until it runs, within timeout,
// with backoff b, and returns the driver's view of it. An instance that
// will not run (terminated, failed) ends the wait at once.
func WaitRunning(ctx context.Context, d iaas.Driver, ref iaas.Ref, timeout time.Duration, b verify.Backoff) (iaas.Instance, error) {
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var inst iaas.Instance
	err := verify.WaitRunning(tctx, b, func(ctx context.Context) (bool, error) {
		got, err := Describe(ctx, d, ref)
		if err != nil {
			return false, err
		}
		inst = got
		switch got.State {
		case iaas.StateRunning:
			return true, nil
		case iaas.StatePending, iaas.StateUnknown:
			return false, nil
		}
		return false, verify.Permanent(InstanceGone(got))
	})
	return inst, err
}

// Describe returns the driver's view of the instance ref. An error the
// driver does not call retryable is verify.Permanent.
func Describe(ctx context.Context, d iaas.Driver, ref iaas.Ref) (iaas.Instance, error) {
	is, err := d.Describe(ctx, ref)
	if err != nil {
		if !iaas.Retryable(err) {
			err = verify.Permanent(err)
		}
		return iaas.Instance{}, fmt.Errorf("describe %s: %w", ref.ID, err)
	}
	if len(is) != 1 {
		return iaas.Instance{}, verify.Permanent(fmt.Errorf("describe %s: driver returned %d instances", ref.ID, len(is)))
	}
	return is[0], nil
}

// DescribeRunning is Describe of an instance that must run now: one that
// does not is an error (InstanceGone).
func DescribeRunning(ctx context.Context, d iaas.Driver, ref iaas.Ref) (iaas.Instance, error) {
	got, err := Describe(ctx, d, ref)
	if err == nil && got.State != iaas.StateRunning {
		err = InstanceGone(got)
	}
	return got, err
}

// InstanceGone explains an instance that will not run (again).
func InstanceGone(inst iaas.Instance) error {
	if inst.Err != nil {
		return fmt.Errorf("instance %s is %s: %w", inst.ID, inst.State, inst.Err)
	}
	return fmt.Errorf("instance %s is %s", inst.ID, inst.State)
}

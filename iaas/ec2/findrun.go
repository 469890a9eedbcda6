package ec2

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/cloudinitd/cloudinitd/iaas"
)

var _ iaas.RunFinder = (*Driver)(nil)

// FindByRun (iaas.RunFinder) returns the instances tagged
// cloudinitd:run=run.Name, of every incarnation, in every scope this
// driver has seen (launches, AddScope, Validate), or in us-east-1 with the
// default credentials when it has seen none. Each carries its full run id
// (tag cloudinitd:run-id; without it, instances launched before that tag
// existed, the name alone), service, client token and owner, and a Handle
// for Describe and Terminate. Terminated instances that EC2 still lists are
// included. It lists instances whose ids were never recorded (the
// launching process died between RunInstances and the record).
func (d *Driver) FindByRun(ctx context.Context, run iaas.RunID) ([]iaas.Instance, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("find run: %w", err)
	}
	if run.Name == "" {
		return nil, permanent("find run", "ec2.config", "empty run name", "")
	}
	return d.findByTag(ctx, "find run", TagRun, run.Name)
}

var _ iaas.StartedByFinder = (*Driver)(nil)

// FindStartedBy (iaas.StartedByFinder) returns the instances tagged
// cloudinitd:started-by=by, in the scopes FindByRun searches, each as
// FindByRun gives it (LaunchedAt from EC2's launch time).
func (d *Driver) FindStartedBy(ctx context.Context, by string) ([]iaas.Instance, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("find started by: %w", err)
	}
	if by == "" {
		return nil, nil
	}
	return d.findByTag(ctx, "find started by", TagStartedBy, by)
}

// findByTag lists the instances tagged key=value in every scope this
// driver has seen (the default scope when none), each once.
func (d *Driver) findByTag(ctx context.Context, op, key, value string) ([]iaas.Instance, error) {
	scopes := d.knownScopes()
	if len(scopes) == 0 {
		scopes = []scope{d.defaultScope()}
	}
	var out []iaas.Instance
	seen := map[string]bool{}
	for _, s := range scopes {
		c, err := d.client(ctx, s)
		if err != nil {
			return nil, withOp(op, err)
		}
		in := &ec2.DescribeInstancesInput{Filters: []types.Filter{{Name: aws.String("tag:" + key), Values: []string{value}}}}
		err = d.eachInstance(ctx, c, s, op, in, func(ti types.Instance) {
			id := aws.ToString(ti.InstanceId)
			if !seen[id] { // two scopes may reach the same account
				seen[id] = true
				out = append(out, d.instance(ti, s, ""))
			}
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

package ec2

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// group is the refs of one scope, with their positions in the call.
type group struct {
	s     scope
	from  map[string]string // id -> hostname_from
	at    map[string]Handle
	refs  []iaas.Ref
	index []int
}

// groupRefs splits refs by the scope their handles name; a ref without a
// handle goes to the default scope.
func (d *Driver) groupRefs(refs []iaas.Ref) ([]*group, error) {
	var out []*group
	byKey := map[string]*group{}
	for i, r := range refs {
		var h Handle
		s := d.defaultScope()
		if len(r.Handle) > 0 {
			var err error
			if h, err = DecodeHandle(r.Handle); err != nil {
				return nil, err
			}
			s = d.scopeOfHandle(h)
		}
		g, ok := byKey[s.key()]
		if !ok {
			g = &group{s: s, from: map[string]string{}, at: map[string]Handle{}}
			byKey[s.key()] = g
			out = append(out, g)
		}
		g.refs = append(g.refs, r)
		g.index = append(g.index, i)
		g.from[r.ID] = h.HostnameFrom
		g.at[r.ID] = h
	}
	return out, nil
}

// Describe returns the instances in the order asked, with one
// DescribeInstances call per scope and per BatchSize ids. It asks with an
// instance-id filter, so unknown ids are simply absent: they come back
// Terminated with an ErrNotFound Err, except within NotFoundGrace of their
// recorded launch, when EC2 may not show them yet (Pending).
func (d *Driver) Describe(ctx context.Context, refs ...iaas.Ref) ([]iaas.Instance, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("describe: %w", err)
	}
	groups, err := d.groupRefs(refs)
	if err != nil {
		return nil, fmt.Errorf("describe: %w", err)
	}
	out := make([]iaas.Instance, len(refs))
	now := d.clock.Now()
	for _, g := range groups {
		seen, err := d.describeIDs(ctx, g.s, iaas.IDs(g.refs))
		if err != nil {
			return nil, err
		}
		for j, r := range g.refs {
			if ti, ok := seen[r.ID]; ok {
				out[g.index[j]] = d.instance(ti, g.s, g.from[r.ID])
				continue
			}
			h := g.at[r.ID]
			if !h.LaunchedAt.IsZero() && now.Sub(h.LaunchedAt) < d.o.NotFoundGrace {
				out[g.index[j]] = iaas.Instance{ID: r.ID, State: iaas.StatePending, Handle: r.Handle, LaunchedAt: h.LaunchedAt}
				continue
			}
			out[g.index[j]] = iaas.Instance{ID: r.ID, State: iaas.StateTerminated, Handle: r.Handle,
				Err: &iaas.CloudError{Class: iaas.ErrNotFound, Op: "describe", Code: "InvalidInstanceID.NotFound",
					Message: fmt.Sprintf("instance %s is unknown in %s", r.ID, g.s.where())}}
		}
	}
	return out, nil
}

// describeIDs looks ids up in s, BatchSize at a time, following pages.
func (d *Driver) describeIDs(ctx context.Context, s scope, ids []string) (map[string]types.Instance, error) {
	c, err := d.client(ctx, s)
	if err != nil {
		return nil, withOp("describe", err)
	}
	seen := map[string]types.Instance{}
	for _, chunk := range iaas.Chunk(ids, d.o.BatchSize) {
		in := &ec2.DescribeInstancesInput{Filters: []types.Filter{{Name: aws.String("instance-id"), Values: chunk}}}
		if err := d.eachInstance(ctx, c, s, "describe", in, func(ti types.Instance) {
			seen[aws.ToString(ti.InstanceId)] = ti
		}); err != nil {
			return nil, err
		}
	}
	return seen, nil
}

// eachInstance runs a DescribeInstances request and all its pages.
func (d *Driver) eachInstance(ctx context.Context, c api, s scope, op string, in *ec2.DescribeInstancesInput, f func(types.Instance)) error {
	for {
		out, err := c.DescribeInstances(ctx, in)
		if err != nil {
			return classify(op, err, s.Creds)
		}
		for _, r := range out.Reservations {
			for _, ti := range r.Instances {
				f(ti)
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return nil
		}
		next := *in
		next.NextToken = out.NextToken
		in = &next
	}
}

// Terminate asks EC2 to terminate the instances, one TerminateInstances
// call per scope and per BatchSize ids. EC2 refuses a whole call naming an
// unknown id; then the driver describes the batch and repeats the call
// with the ids EC2 knows, so unknown ids are not an error.
func (d *Driver) Terminate(ctx context.Context, refs ...iaas.Ref) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("terminate: %w", err)
	}
	groups, err := d.groupRefs(refs)
	if err != nil {
		return fmt.Errorf("terminate: %w", err)
	}
	for _, g := range groups {
		c, err := d.client(ctx, g.s)
		if err != nil {
			return withOp("terminate", err)
		}
		for _, chunk := range iaas.Chunk(iaas.IDs(g.refs), d.o.BatchSize) {
			if err := d.terminateChunk(ctx, c, g.s, chunk); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *Driver) terminateChunk(ctx context.Context, c api, s scope, ids []string) error {
	_, err := c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids})
	err = classify("terminate", err, s.Creds)
	if err == nil || !errors.Is(err, iaas.ErrNotFound) {
		return err
	}
	seen, derr := d.describeIDs(ctx, s, ids)
	if derr != nil {
		return derr
	}
	var known []string
	for _, id := range ids {
		if ti, ok := seen[id]; ok && stateOf(ti) != iaas.StateTerminated {
			known = append(known, id)
		}
	}
	if len(known) == 0 {
		return nil
	}
	_, err = c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: known})
	return classify("terminate", err, s.Creds)
}

// instance converts an SDK instance to an iaas.Instance with its handle.
func (d *Driver) instance(ti types.Instance, s scope, hostnameFrom string) iaas.Instance {
	inst := iaas.Instance{
		ID:        aws.ToString(ti.InstanceId),
		State:     stateOf(ti),
		PublicIP:  aws.ToString(ti.PublicIpAddress),
		PrivateIP: aws.ToString(ti.PrivateIpAddress),

		ClientToken: aws.ToString(ti.ClientToken),
	}
	for _, t := range ti.Tags {
		if k, ok := strings.CutPrefix(aws.ToString(t.Key), TagPrefix); ok {
			if inst.Tags == nil {
				inst.Tags = map[string]string{}
			}
			inst.Tags[k] = aws.ToString(t.Value)
			continue
		}
		switch v := aws.ToString(t.Value); aws.ToString(t.Key) {
		case TagService:
			inst.Service = v
		case TagOwner:
			inst.Owner = v
		case TagStartedBy:
			inst.StartedBy = v
		case TagRun:
			if inst.Run.Name == "" {
				inst.Run.Name = v
			}
		case TagRunID:
			if id, err := iaas.ParseRunID(v); err == nil {
				inst.Run = id
			}
		}
	}
	if ti.LaunchTime != nil {
		inst.LaunchedAt = *ti.LaunchTime
	}
	inst.Handle = handleFor(s, hostnameFrom, inst.LaunchedAt).encode()
	if inst.State == iaas.StateRunning {
		inst.Hostname = pickHostname(hostnameFrom, aws.ToString(ti.PublicDnsName), inst.PublicIP, inst.PrivateIP)
	}
	if inst.State == iaas.StateTerminated && ti.StateReason != nil &&
		strings.HasPrefix(aws.ToString(ti.StateReason.Code), "Server.") {
		// EC2 ended it (spot reclaim, launch failure): say why.
		inst.Err = &iaas.CloudError{Class: iaas.ErrTransient, Op: "describe",
			Code: aws.ToString(ti.StateReason.Code), Message: aws.ToString(ti.StateReason.Message)}
	}
	return inst
}

// stateOf maps EC2 instance states: pending -> Pending, running ->
// Running, shutting-down and stopping -> Terminating, terminated and
// stopped -> Terminated.
func stateOf(ti types.Instance) iaas.State {
	if ti.State == nil {
		return iaas.StateUnknown
	}
	switch ti.State.Name {
	case types.InstanceStateNamePending:
		return iaas.StatePending
	case types.InstanceStateNameRunning:
		return iaas.StateRunning
	case types.InstanceStateNameShuttingDown, types.InstanceStateNameStopping:
		return iaas.StateTerminating
	case types.InstanceStateNameTerminated, types.InstanceStateNameStopped:
		return iaas.StateTerminated
	}
	return iaas.StateUnknown
}

package ec2

import (
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// Launch runs one instance of spec.Image (allocation, key pair, security
// groups and the driver keys of docs/clouds.md), tagged with the run,
// service and attempt, and returns it as EC2 accepted it (pending).
// spec.ClientToken is EC2's ClientToken: a repeated launch returns the
// first instance, from any process. Errors are classified by EC2 error
// code; see docs/clouds.md.
func (d *Driver) Launch(ctx context.Context, spec iaas.LaunchSpec) (iaas.Instance, error) {
	if err := ctx.Err(); err != nil {
		return iaas.Instance{}, fmt.Errorf("launch: %w", err)
	}
	s, err := scopeOf(spec)
	if err != nil {
		return iaas.Instance{}, withOp("launch", err)
	}
	o, err := parseOptions(spec.Options, d.o.ReadFile)
	if err != nil {
		return iaas.Instance{}, withOp("launch", err)
	}
	if strings.TrimSpace(spec.Image) == "" {
		return iaas.Instance{}, permanent("launch", "ec2.config", fmt.Sprintf("service %q has no image", spec.Service),
			"set image to an AMI id (ami-...)")
	}
	for _, w := range Warnings(spec) {
		d.log.Warn(w)
	}
	d.remember(s)
	c, err := d.client(ctx, s)
	if err != nil {
		return iaas.Instance{}, err
	}
	in := runInput(spec, s, o)
	if o.RootGiB > 0 {
		dev, err := d.rootDevice(ctx, c, s, spec.Image)
		if err != nil {
			return iaas.Instance{}, err
		}
		in.BlockDeviceMappings = []types.BlockDeviceMapping{{DeviceName: aws.String(dev),
			Ebs: &types.EbsBlockDevice{VolumeSize: aws.Int32(o.RootGiB), DeleteOnTermination: aws.Bool(true)}}}
	}
	out, err := c.RunInstances(ctx, in)
	if err != nil {
		return iaas.Instance{}, classify("launch", err, s.Creds)
	}
	if len(out.Instances) == 0 {
		return iaas.Instance{}, &iaas.CloudError{Class: iaas.ErrTransient, Op: "launch",
			Message: "RunInstances returned no instance"}
	}
	inst := d.instance(out.Instances[0], s, o.HostnameFrom)
	d.log.Debug("ec2 launch", "id", inst.ID, "run", spec.Run.String(), "service", spec.Service, "where", s.where())
	return inst, nil
}

// runInput builds the RunInstances request of spec.
func runInput(spec iaas.LaunchSpec, s scope, o launchOptions) *ec2.RunInstancesInput {
	in := &ec2.RunInstancesInput{
		ImageId:  aws.String(spec.Image),
		MinCount: aws.Int32(1),
		MaxCount: aws.Int32(1),
	}
	if spec.ClientToken != "" {
		in.ClientToken = aws.String(spec.ClientToken)
	}
	if spec.Allocation != "" {
		in.InstanceType = types.InstanceType(spec.Allocation)
	}
	if spec.KeyName != "" {
		in.KeyName = aws.String(spec.KeyName)
	}
	if s.Flavor != flavorNimbus {
		for _, g := range splitList(spec.SecurityGroups) {
			if strings.HasPrefix(g, "sg-") {
				in.SecurityGroupIds = append(in.SecurityGroupIds, g)
			} else {
				in.SecurityGroups = append(in.SecurityGroups, g)
			}
		}
	}
	if o.Subnet != "" {
		in.SubnetId = aws.String(o.Subnet)
	}
	if len(o.UserData) > 0 {
		in.UserData = aws.String(base64.StdEncoding.EncodeToString(o.UserData))
	}
	if o.Spot {
		in.InstanceMarketOptions = &types.InstanceMarketOptionsRequest{MarketType: types.MarketTypeSpot}
	}
	tags := []types.Tag{
		{Key: aws.String("Name"), Value: aws.String(spec.Run.Name + "-" + spec.Service)},
		{Key: aws.String(TagRun), Value: aws.String(spec.Run.Name)},
		{Key: aws.String(TagService), Value: aws.String(spec.Service)},
		{Key: aws.String(TagAttempt), Value: aws.String(strconv.Itoa(spec.Attempt))},
	}
	if spec.Run.Incarnation != "" {
		tags = append(tags, types.Tag{Key: aws.String(TagRunID), Value: aws.String(spec.Run.String())})
	}
	if spec.Owner != "" {
		tags = append(tags, types.Tag{Key: aws.String(TagOwner), Value: aws.String(spec.Owner)})
	}
	if spec.StartedBy != "" {
		tags = append(tags, types.Tag{Key: aws.String(TagStartedBy), Value: aws.String(spec.StartedBy)})
	}
	for _, k := range slices.Sorted(maps.Keys(spec.Tags)) {
		tags = append(tags, types.Tag{Key: aws.String(TagPrefix + k), Value: aws.String(spec.Tags[k])})
	}
	for _, kv := range o.Tags {
		if kv[0] == "Name" {
			tags[0].Value = aws.String(kv[1])
			continue
		}
		tags = append(tags, types.Tag{Key: aws.String(kv[0]), Value: aws.String(kv[1])})
	}
	in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: tags}}
	return in
}

// rootDevice asks for the image's root device name, which a root volume
// size must be attached to.
func (d *Driver) rootDevice(ctx context.Context, c api, s scope, image string) (string, error) {
	out, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{image}})
	if err != nil {
		return "", classify("launch", err, s.Creds)
	}
	if len(out.Images) == 0 || aws.ToString(out.Images[0].RootDeviceName) == "" {
		return "", permanent("launch", "InvalidAMIID.NotFound",
			fmt.Sprintf("image %q not found in %s (needed for %s)", image, s.where(), KeyRootVolumeSize),
			"image must name an AMI visible to this account in this region")
	}
	return aws.ToString(out.Images[0].RootDeviceName), nil
}

// withOp sets the Op of a CloudError made before any call.
func withOp(op string, err error) error {
	if ce, ok := err.(*iaas.CloudError); ok && ce.Op == "" {
		c := *ce
		c.Op = op
		return &c
	}
	return fmt.Errorf("%s: %w", op, err)
}

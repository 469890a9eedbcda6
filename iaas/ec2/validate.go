package ec2

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// The optional driver abilities this driver has (package iaas).
var (
	_ iaas.SpecValidator = (*Driver)(nil)
	_ iaas.Warner        = (*Driver)(nil)
	_ iaas.ScopeAdder    = (*Driver)(nil)
)

// problem is one finding of Validate, kept with the spec index for order.
type problem struct {
	i   int
	err error
}

// Validate checks every spec's plan values locally (iaas, iaas_url,
// credentials pairing, driver keys, image set), then, once per distinct
// endpoint, region and credential, that the credentials work
// (DescribeInstances with DryRun: DryRunOperation means yes), and that each
// image, key pair and security group exists. Warnings (security groups on
// Nimbus) are logged, not returned; see [Warnings].
func (d *Driver) Validate(ctx context.Context, specs []iaas.LaunchSpec) []error {
	var probs []problem
	add := func(i int, err error) {
		probs = append(probs, problem{i, fmt.Errorf("service %q: %w", specs[i].Service, err)})
	}
	type scoped struct {
		s   scope
		idx []int
	}
	var order []string
	groups := map[string]*scoped{}
	for i, spec := range specs {
		for _, w := range Warnings(spec) {
			d.log.Warn(w)
		}
		s, err := scopeOf(spec)
		if err != nil {
			add(i, withOp("validate", err))
			continue
		}
		if _, err := parseOptions(spec.Options, d.o.ReadFile); err != nil {
			add(i, withOp("validate", err))
		}
		if strings.TrimSpace(spec.Image) == "" {
			add(i, permanent("validate", "ec2.config", "no image", "set image to an AMI id (ami-...)"))
		}
		sum := sha256.Sum256([]byte(s.Creds.Secret))
		k := s.key() + "|" + hex.EncodeToString(sum[:8])
		if groups[k] == nil {
			groups[k] = &scoped{s: s}
			order = append(order, k)
		}
		groups[k].idx = append(groups[k].idx, i)
	}
	for _, k := range order {
		g := groups[k]
		d.remember(g.s)
		for _, p := range d.validateScope(ctx, g.s, specs, g.idx) {
			add(p.i, p.err)
		}
	}
	slices.SortStableFunc(probs, func(a, b problem) int { return a.i - b.i })
	out := make([]error, len(probs))
	for i, p := range probs {
		out[i] = p.err
	}
	return out
}

// validateScope checks the credentials of one scope, then the resources the
// specs idx name in it.
func (d *Driver) validateScope(ctx context.Context, s scope, specs []iaas.LaunchSpec, idx []int) []problem {
	var probs []problem
	all := func(err error) []problem {
		for _, i := range idx {
			probs = append(probs, problem{i, err})
		}
		return probs
	}
	c, err := d.client(ctx, s)
	if err != nil {
		return all(withOp("validate", err))
	}
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{DryRun: aws.Bool(true)})
	var ae smithy.APIError
	if err != nil && !(errors.As(err, &ae) && ae.ErrorCode() == "DryRunOperation") {
		return all(fmt.Errorf("%s: %w", s.where(), classify("validate", err, s.Creds)))
	}
	type check struct {
		kind, name string
		call       func() (int, error) // how many found
	}
	ckey := func(kind, name string) string { return kind + "\x00" + name }
	users := map[string]bool{}
	var checks []check
	need := func(ck check) {
		if k := ckey(ck.kind, ck.name); !users[k] {
			users[k] = true
			checks = append(checks, ck)
		}
	}
	for _, i := range idx {
		sp := specs[i]
		if img := strings.TrimSpace(sp.Image); img != "" {
			need(check{kind: "image", name: img, call: func() (int, error) {
				out, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{img}})
				if err != nil {
					return 0, err
				}
				return len(out.Images), nil
			}})
		}
		if k := strings.TrimSpace(sp.KeyName); k != "" {
			need(check{kind: "key pair", name: k, call: func() (int, error) {
				out, err := c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyNames: []string{k}})
				if err != nil {
					return 0, err
				}
				return len(out.KeyPairs), nil
			}})
		}
		if s.Flavor == flavorNimbus {
			continue
		}
		for _, g := range splitList(sp.SecurityGroups) {
			in := &ec2.DescribeSecurityGroupsInput{GroupNames: []string{g}}
			if strings.HasPrefix(g, "sg-") {
				in = &ec2.DescribeSecurityGroupsInput{GroupIds: []string{g}}
			}
			need(check{kind: "security group", name: g, call: func() (int, error) {
				out, err := c.DescribeSecurityGroups(ctx, in)
				if err != nil {
					return 0, err
				}
				return len(out.SecurityGroups), nil
			}})
		}
	}
	missing := map[string]error{}
	for _, ck := range checks {
		n, err := ck.call()
		err = classify("validate", err, s.Creds)
		var ce *iaas.CloudError
		switch {
		case err == nil && n > 0:
			continue
		case err == nil || errors.As(err, &ce) && (strings.HasSuffix(ce.Code, ".NotFound") || strings.HasSuffix(ce.Code, ".Malformed")):
			_, hint := classOf(notFoundCode[ck.kind], 400)
			err = permanent("validate", notFoundCode[ck.kind], fmt.Sprintf("%s %q not found in %s", ck.kind, ck.name, s.where()), hint)
		default:
			err = fmt.Errorf("checking %s %q in %s: %w", ck.kind, ck.name, s.where(), err)
		}
		missing[ckey(ck.kind, ck.name)] = err
	}
	for _, i := range idx {
		sp := specs[i]
		names := map[string][]string{"image": {strings.TrimSpace(sp.Image)}, "key pair": {strings.TrimSpace(sp.KeyName)}}
		if s.Flavor != flavorNimbus {
			names["security group"] = splitList(sp.SecurityGroups)
		}
		for _, kind := range []string{"image", "key pair", "security group"} {
			for _, n := range names[kind] {
				if err, ok := missing[ckey(kind, n)]; ok {
					probs = append(probs, problem{i, err})
				}
			}
		}
	}
	return probs
}

// notFoundCode is the EC2 code of a missing resource of each kind.
var notFoundCode = map[string]string{
	"image":          "InvalidAMIID.NotFound",
	"key pair":       "InvalidKeyPair.NotFound",
	"security group": "InvalidGroup.NotFound",
}

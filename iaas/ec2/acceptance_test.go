package ec2_test

import (
	"os"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/ec2"
	"github.com/cloudinitd/cloudinitd/iaas/iaastest"
)

// TestAcceptance runs the conformance suite against a real EC2-compatible
// endpoint. It launches (and terminates) about 20 instances: use a cheap
// allocation. Set:
//
//	CLOUDINITD_EC2_ENDPOINT    https://ec2.us-east-1.amazonaws.com (or "aws" for the SDK's default)
//	CLOUDINITD_EC2_REGION      us-east-1 (default)
//	CLOUDINITD_EC2_IMAGE       an AMI id of that region
//	CLOUDINITD_EC2_ALLOCATION  t3.nano (default)
//	CLOUDINITD_EC2_KEYNAME     optional key pair
//	CLOUDINITD_EC2_SUBNET      optional subnet
//	AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY or AWS_PROFILE (the default chain)
func TestAcceptance(t *testing.T) {
	endpoint := os.Getenv("CLOUDINITD_EC2_ENDPOINT")
	image := os.Getenv("CLOUDINITD_EC2_IMAGE")
	if endpoint == "" || image == "" {
		t.Skip("acceptance test against a real EC2 endpoint: set CLOUDINITD_EC2_ENDPOINT and CLOUDINITD_EC2_IMAGE " +
			"(and AWS credentials) to run it; it launches real instances")
	}
	if endpoint == "aws" {
		endpoint = ""
	}
	alloc := os.Getenv("CLOUDINITD_EC2_ALLOCATION")
	if alloc == "" {
		alloc = "t3.nano"
	}
	sp := iaas.LaunchSpec{Image: image, Allocation: alloc, Region: os.Getenv("CLOUDINITD_EC2_REGION"),
		Endpoint: endpoint, KeyName: os.Getenv("CLOUDINITD_EC2_KEYNAME"),
		Options: map[string]string{ec2.KeySubnet: os.Getenv("CLOUDINITD_EC2_SUBNET")}}
	iaastest.Run(t, iaastest.Harness{
		NewDriver: func(*testing.T) iaas.Driver {
			return ec2.Wrap(ec2.New(ec2.Options{Config: iaas.Config{LookupEnv: os.LookupEnv}}), nil)
		},
		Spec:        sp,
		Permanent:   func(s *iaas.LaunchSpec) { s.Image = "ami-00000000000000000" },
		Timeout:     10 * time.Minute,
		Poll:        5 * time.Second,
		Concurrency: 3,
	})
}

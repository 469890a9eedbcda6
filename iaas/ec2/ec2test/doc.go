// Package ec2test is a FAKE EC2 for tests: an in-process httptest server
// speaking enough of the EC2 Query API (form-encoded POST with Action and
// Version, XML answers in the EC2 namespace, EC2 error documents with the
// right HTTP status) for the iaas/ec2 driver: RunInstances, DescribeInstances,
// TerminateInstances, DescribeImages, DescribeKeyPairs and
// DescribeSecurityGroups, with DryRun.
//
// It is not EC2. It keeps instances in memory; ids look like EC2's;
// instances are pending for a configurable delay, then running, and
// shutting-down then terminated after Terminate. Private addresses come from
// a configurable prefix (127.88.0.0/16 by default, so a test may start an
// sshd on each address); a public address and DNS name only when asked.
// ClientToken makes RunInstances idempotent as on EC2 (same reservation; a
// token reused with another image, type or key is IdempotentParameterMismatch).
// Unknown ids in InstanceId.N fail the whole call with
// InvalidInstanceID.NotFound as EC2 does; filters instance-id,
// instance-state-name, tag:KEY and tag-key are supported.
//
// Requests must carry a SigV4 Authorization header; when Options.AccessKeyID
// is set the key id must match (AuthFailure otherwise), and when
// Options.SecretAccessKey is set too the signature is verified
// (SignatureDoesNotMatch). Faults are injected per action: the next N calls
// fail with a given EC2 error code ([Server.Fail], [Server.Throttle],
// [Server.NoCapacity]). Every request's form is kept for assertions
// ([Server.Requests]).
//
// ec2test imports only iaas and iaas/ec2 of this module (today neither), and
// the AWS SDK's signer; tests of any package may use it.
package ec2test

// Package ec2 is the [iaas.Driver] for Amazon EC2 and EC2-compatible clouds
// (Eucalyptus, Nimbus, OpenStack's EC2 API...), built on aws-sdk-go-v2.
//
// Selection: the plan's iaas value names the region ("" -> us-east-1; the
// names "ec2" and "aws" also mean us-east-1; a bare region such as
// "us-west-2" selects this driver, see [IsRegion]); iaas_url points at any
// EC2-compatible endpoint (the SDK's BaseEndpoint). The aliases "nimbus" and
// "eucalyptus" need iaas_url and have the quirks listed in [Aliases].
//
// Credentials come from the plan (iaas_key, iaas_secret) when given, else
// from the SDK's default chain (environment read through
// iaas.Config.LookupEnv, shared files with AWS_PROFILE, SSO, instance roles).
// Secrets are never logged, never put in a Handle and never echoed in an
// error. One SDK client is cached per endpoint, region and credential.
//
// The driver talks to the SDK through a narrow private interface of the six
// calls it makes. The SDK's own retries are off: retries and rate limits come
// from the iaas wrappers, which the caller adds ([Wrap] applies settings
// suited to EC2); the [Factory] returns the bare driver like every other
// factory. Beyond iaas.Driver it offers the optional abilities
// iaas.SpecValidator (check a plan against the cloud, launching nothing),
// iaas.Warner, iaas.ScopeAdder (where a run's instances live, for a process
// that did not launch them) and iaas.RunFinder (every instance tagged with
// a run name, recorded or not).
//
// ec2 imports only iaas (and the AWS SDK); ec2test is its test emulator.
package ec2

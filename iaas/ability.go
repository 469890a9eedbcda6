package iaas

import "context"

// Optional driver abilities. A driver that lacks one still works; the
// engine finds them through wrappers with [As]. Each driver asserts at
// compile time the ones it has (var _ iaas.RunFinder = (*Driver)(nil)),
// the conformance suite (iaas/iaastest) checks RunFinder and
// StartedByFinder, and iaas/drivers' TestAbilities lists which registered
// driver has which, as the engine finds them through the wrappers.

// RunFinder is an optional driver ability (found with [As] through
// wrappers): list the instances the driver launched under a run's name.
//
// FindByRun returns every instance launched under run.Name, of every
// incarnation and terminated ones included, each with Run (the full id as
// the driver recorded it; Incarnation "" for instances launched before
// full ids were recorded), Service, ClientToken and Owner. The caller
// keeps what run [RunID.Claims] and leaves the rest alone: it belongs to
// another record of the same name. An empty name finds nothing (or is an
// error of class ErrPermanent); the call fails only when the cloud could
// not be asked.
//
// The engine uses it to record a launch whose instance id never came back
// (a crash during the launch call), to find instances the record does not
// hold, and to find the instances a run's services launched themselves
// (Instance.Owner).
type RunFinder interface {
	FindByRun(ctx context.Context, run RunID) ([]Instance, error)
}

// ScopeAdder is an optional driver ability: learn where a service's
// instances live and with which credentials, without calling the cloud. A
// process that did not launch (status, terminate, history, clean, a
// resumed boot) must tell the driver before Describe, Terminate or
// FindByRun, because the record never holds a secret: the engine calls
// AddScope with every launching service's spec, credentials resolved, the
// first time it uses the driver. An error (a bad iaas_url, credentials
// given by half) is logged; the cloud call that follows reports it to the
// user. The ec2 driver has it.
type ScopeAdder interface {
	AddScope(spec LaunchSpec) error
}

// SpecValidator is an optional driver ability: check launch specs against
// the cloud without launching anything. Validate returns one error per
// problem, each naming the service; none when every spec can be launched
// as far as the cloud can tell. The ec2 driver has it.
type SpecValidator interface {
	Validate(ctx context.Context, specs []LaunchSpec) []error
}

// Warner is an optional driver ability: what is questionable but not
// wrong in a spec for this driver (security groups on Nimbus), each
// message naming the service. The ec2 driver has it.
type Warner interface {
	Warnings(spec LaunchSpec) []string
}

// SSHKeyProvider is an optional driver ability: the driver makes the SSH
// client key of its instances (Instance.SSH), so services on them need
// neither localsshkeypath nor ssh-agent, nor ssh_username. The local
// driver has it.
type SSHKeyProvider interface {
	ProvidesSSHKey() bool
}

// StartedByFinder is an optional driver ability (found with [As] through
// wrappers): list the instances launched with a LaunchSpec.StartedBy,
// whatever their run, so that 'cloudinitd clean --stale --older-than'
// finds what a CI machine thrown away with its record directory left.
//
// FindStartedBy returns every instance the driver launched with
// StartedBy == by (terminated ones may be included), each with Run,
// Service, ClientToken, Owner, StartedBy, LaunchedAt and a Handle for
// Describe and Terminate, in the places FindByRun searches. An empty by
// finds nothing; the call fails only when the cloud could not be asked.
// The ec2, local and fake drivers have it.
type StartedByFinder interface {
	FindStartedBy(ctx context.Context, by string) ([]Instance, error)
}

// Package mgmt is epumgmt's library: it inspects and tears down the EPU
// system (provisioners, controllers and their workers) of a cloudinitd
// run, from the workstation that booted it.
//
// It opens the run's record (store), finds the EPU services by their
// bootout attribute epu_role, else by the original's names (exactly
// "provisioner", "epu-*"), and reaches each daemon by running 'epu ctl' on
// the service's host over the SSH connection cloudinitd uses
// (bootlevel.Engine.Host: the recorded user, key and host key), so no
// daemon API needs to be reachable from the workstation. A teardown
// (KillRun) terminates the workers through each provisioner, then the run
// through bootlevel.Engine.Terminate keeping its record, then sweeps
// every cloud the workers and the run used for instances carrying the
// run's id (iaas.RunFinder), so that what survives is named.
//
// The command line is cmd/epumgmt; this package never writes to the
// process's streams except through the writers it is given. It imports
// bootlevel, store, remote, iaas and the epu packages, never cmd/.
package mgmt

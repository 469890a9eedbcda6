// Package engine holds the decision engines of the elastic layer: what a
// controller asks, each period, to decide how many workers a domain needs
// (reference §2.5–2.6). An engine sees a snapshot of the domain's
// instances and sensors and acts only through the Control it is given;
// engines are chosen by name from a Registry (Builtin: npreserving,
// queuelen, sensor, autoscale; an unknown name is ErrUnknownEngine).
//
// An engine may also be a Requester: the autoscale engine takes requests
// between decides (autoscale targets, a worker asking to stop) with
// CycleCloud's cluster-side semantics (docs/autoscale.md); the controller
// hands them over in the domain's slot.
//
// The contract (reference §5.3): Initialize returns before the first
// Decide; Decide and Reconfigure never run at once (the controller holds
// one slot for both, and for queries); an engine keeps neither the Control
// nor the State beyond the call. Configuration errors wrap ErrBadConf and
// name the key; an engine refuses a reconfiguration before changing
// anything.
//
// The engines follow the original's rules: an instance is valid unless
// TERMINATING, TERMINATED or FAILED (the original's BAD_STATES; REJECTED
// counts as valid, so a disabled provisioner does not make an engine
// launch every period); Stability is the shared _set_state; Devmode reads
// devmode_no_failure_compensation.
//
// What an engine launches: npreserving and queuelen read the original's
// keys epuworker_type, force_site and epuworker_allocation, the sensor
// engine deployable_type, iaas_site and iaas_allocation. An absent key
// means the domain's own (Control.Launch with ""): the domain's deployable
// type, and that type's iaas and allocation. The original's defaults
// (epu_work_consumer, ec2-east, small) named entries of its deployable
// type registry; here a site is an iaas override, and a default of
// ec2-east would send every worker of a local plan to a cloud it does not
// use. The npreserving conf report shows an absent key as [].
//
// Unique instances are recognised by their Extravars: a controller
// records the extravars of each launch on the instance
// (Control.Launch), so npreserving re-adopts its unique instances after a
// restart and the sensor engine knows which unique values are in use.
//
// engine imports only package epu; it never imports the controller, the
// provisioner, a driver or anything under cmd. Package enginetest holds
// the original's instant-RUNNING harness for tests.
package engine

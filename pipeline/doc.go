// Package pipeline runs the steps that make one service's host useful,
// the service pipeline of cloudinit.d (reference §2.3): wait until its
// instance runs, connect (SSH with host keys, or this machine for
// local_exe), check SSH, prepare the stage directory, fill and upload the
// bootconf (0600, with bootenv.sh), run the boot program, fetch
// bootout.json, run the ready program, and check the instance is still
// alive.
//
// It works on a [Service]: the caller's view of one service (or one
// worker) through small interfaces: [Settings] (its keys as written),
// [Attributes] (its values with ${} expanded, its bag), [StateSink]
// (steps, warnings and state transitions), [BootoutSink] (what
// bootout.json gave) and [Log]; host keys are kept by the caller through
// the [KeyStore] of an [SSHConnector]. The engine (bootlevel) implements
// them over its run record; the provisioner (epu) over its own store, to
// contextualize workers with the same steps.
//
// pipeline may import plan, iaas, remote and verify; it never imports the
// store, the engine or a concrete driver.
package pipeline

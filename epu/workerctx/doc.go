// Package workerctx contextualizes the provisioner's workers with the
// service pipeline cloudinitd runs for its services (package pipeline):
// SSH to the worker's instance (its host key pinned in the provisioner's
// store), SSH check, stage directory <work dir>/<node id>, bootconf
// filled from the worker's bag and uploaded 0600 with bootenv.sh, the
// deployable type's boot program, bootout.json, its ready program.
//
// A worker's attributes, for ${} in the deployable type's deps, bootconf
// and program arguments: node_id (also name), launch_id, run_id,
// run_name, deployable_type, site, allocation, hostname, instance_id;
// its bag is those attributes (so that deps rows and bootconf templates
// read them: $node_id), then the deployable type's deps rows, then the
// provision request's vars, then node_token (the node token of the
// domain its vars name, derived from the run's secret, for its agent),
// then what its bootout.json gave (each group by key).
// [Contextualizer] implements provisioner.Contextualizer and
// provisioner.HostKeyPinner.
//
// workerctx may import epu, epu/provisioner, pipeline, plan, iaas and
// remote; the provisioner does not import it: the program that builds a
// provisioner gives it one.
package workerctx

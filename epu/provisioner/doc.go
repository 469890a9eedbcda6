// Package provisioner is the elastic layer's provisioner daemon (reference
// §2.3 and §5.2; docs/epu-api.md, section "Provisioner"): it launches and
// terminates workers of deployable types on the iaas drivers, keeps their
// launch and node records in SQLite in its state directory, and pushes
// every node record change to the launch's subscribers (controllers).
//
// What it owns:
//
//   - the records: launches and nodes whose states (epu.State) only move
//     forward by number, each node's history, the persisted disabled flag,
//     and the intent written before every cloud call (Store, sqlite.go);
//   - the operations: provision, terminate_nodes, terminate_launches,
//     terminate_all, enable, describe_nodes, dump_state, health, over
//     HTTP+JSON (Handler) and a typed Client;
//   - the loops: the periodic query that maps cloud states, fails a
//     vanished node after disappear_after and contextualizes a STARTED node
//     (through a Contextualizer) within context_timeout; the terminator;
//     restart recovery (REQUESTED launches re-executed with their client
//     tokens, TERMINATING ones finished) and the adoption or reaping of the
//     run's workers found by tag; back-off per deployable type and site
//     after capacity or throttling errors; bounded, retried pushes to
//     subscribers; JSON event lines.
//
// Every worker carries the run's id (LaunchSpec.Run), the provisioner's
// service as its owner (LaunchSpec.Owner) and the tags launch_id, node_id
// and deployable_type (LaunchSpec.Tags), and is launched with the client
// token of its node, so a crash at any moment neither duplicates nor loses
// a worker.
//
// It imports epu, epu/api, iaas and plan (the secret-name rule) of this
// module, never bootlevel, store or the drivers: drivers come from an
// injected *iaas.Registry.
package provisioner

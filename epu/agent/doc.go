// Package agent is the node agent of the elastic layer (`epu agent`,
// docs/agent.md): Jetpack's functions for a worker. It sends heartbeats to
// its controller with the domain's node token (never an admin token), runs
// the healthcheck.d scripts on a period (only exit 254 means unhealthy; a
// script that hangs is killed at its timeout and logged, not counted),
// the built-in checks (converge timeout, scheduled_shutdown markers: the
// earliest wins), and honours keepalive, which suppresses the local
// verdict. An unhealthy verdict is reported in the heartbeats and as an
// unhealthy stop request; the agent never powers its machine off. A
// controller that cannot be reached leaves the node up, is logged, and is
// tried again each period.
//
// Home is the agent's directory, shared with `epu node VERB` (which finds
// the running agent by its lock and configuration there). RunHooks runs
// the run_on_shutdown scripts, for the provisioner before it terminates a
// node.
//
// agent imports epu, epu/api, epu/controller (its Client) and epu/engine
// (request types); nothing under cmd, no driver.
package agent

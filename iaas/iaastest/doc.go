// Package iaastest is the conformance suite every [iaas.Driver] passes:
// driver tests call [Run] with a [Harness] that makes fresh drivers on one
// cloud (to stand for fresh processes) and a LaunchSpec template. The suite
// checks the contract written on iaas.Driver: launch reaches running,
// idempotency on the client token (also from a fresh driver), describe of
// unknown ids, terminate of unknown, terminated and several ids, order of
// batch results, concurrent launches, error classes and cancellation.
//
// iaastest imports only iaas (and the standard library); only _test.go files
// import it.
package iaastest

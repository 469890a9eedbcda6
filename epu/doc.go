// Package epu is the vocabulary of the elastic layer, shared by the
// provisioner, the controllers, their decision engines and epumgmt: node
// and launch states (compared by their number, only moving forward),
// health and decision-engine states, and the records and requests that
// travel between the daemons as JSON (docs/epu-api.md).
//
// It holds values and their rules, no behaviour that waits or talks to
// the network. It imports nothing of this module; the epu/... packages
// import it.
package epu

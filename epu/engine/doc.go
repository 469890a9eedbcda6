// Package engine holds the decision engines of the elastic layer: what a
// controller asks, each period, to decide how many workers a domain needs
// (reference §2.5–2.6). An engine sees a snapshot of the domain's
// instances and sensors and acts only through the Control it is given;
// engines are chosen by name from a Registry.
//
// The contract (reference §5.3): Initialize returns before the first
// Decide; Decide and Reconfigure never run at once (the controller holds
// one slot for both, and for queries); an engine keeps neither the Control
// nor the State beyond the call.
//
// engine imports only package epu; it never imports the controller, the
// provisioner, a driver or anything under cmd.
package engine

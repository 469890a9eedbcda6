// Package cli is the plumbing shared by the command-line programs: IOStreams,
// UserError with hints, the exit-code table and the one function that maps an
// error to an exit code (the driver registry is package iaas/drivers).
//
// cli may import every library package of this module; only cmd/... imports it.
package cli

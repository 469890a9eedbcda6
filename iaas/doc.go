// Package iaas defines the contract between the engine and clouds: the
// [Driver] interface, [Instance] values, error classes checked with errors.Is,
// an explicit [Registry], and wrappers that add retry, concurrency limits and
// rate limits to any driver.
//
// iaas is a leaf: it must not import any other package of this module.
// Drivers live in subpackages (iaas/local, iaas/fake, iaas/ec2) and import
// only iaas.
package iaas

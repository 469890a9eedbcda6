// Package archtest holds only a test: it runs go list -deps over the module
// and fails when a package imports across the layers drawn in
// docs/architecture.md.
package archtest

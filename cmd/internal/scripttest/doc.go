// Package scripttest holds what the testscript scripts of cmd/cloudinitd
// and cmd/epumgmt share: the script commands exits and noprocs, whether a
// process is gone, and the reaping of the local-driver instances a script
// left. It is imported by tests only.
//
// scripttest may import iaas and iaas/local (the driver whose instances it
// checks and reaps), nothing else of this module.
package scripttest

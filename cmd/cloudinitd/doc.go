// Command cloudinitd reads cloudinit.d launch plans and brings up, checks and
// takes down the systems they describe. See docs/cli.md.
package main

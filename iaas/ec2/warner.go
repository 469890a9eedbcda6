package ec2

import "github.com/cloudinitd/cloudinitd/iaas"

// Warnings is [Warnings] as a method, so that the engine finds it through
// wrappers as an optional ability (iaas.As) without importing this package.
func (d *Driver) Warnings(spec iaas.LaunchSpec) []string { return Warnings(spec) }

// Package drivers is the one place that names the concrete IaaS drivers
// (local, fake, ec2): it builds the registry of all of them, with each
// driver's entry (factory, aliases, the values it serves, its wrapping
// policy), for every program and package that opens drivers by a plan's
// iaas value: the CLI, and the elastic daemons (the provisioner launches
// workers on the same clouds as cloudinitd).
//
// drivers may import iaas, the drivers under iaas/ and plan (for the
// check of a plan's iaas values); it never imports the engine, the store
// or anything under cmd.
package drivers

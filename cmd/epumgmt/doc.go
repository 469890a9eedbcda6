// Command epumgmt inspects and tears down the EPU system (provisioners,
// controllers, their workers) of a cloudinitd run: status, find-workers,
// logfetch, killrun, fetchkill, reconfigure-n, enable. It is a thin main
// over package epu/mgmt: flags, wiring (drivers, the SSH connector, the
// run log), rendering of errors and exit codes (cloudinitd's table).
// docs/epumgmt.md documents every action, option and exit code.
package main

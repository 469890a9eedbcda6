// Package api is the HTTP+JSON plumbing shared by the elastic layer's
// daemons and their clients (docs/epu-api.md): bearer tokens derived from
// the run's secret, the token file a daemon leaves for `epu ctl`, the
// listener that keeps a daemon's address across restarts (Listen), JSON
// answers and the one error shape, and a client that speaks it.
//
// Tokens are never stored in a record, logged or answered: a daemon
// derives the tokens it accepts from run_secret, which reaches it through
// its bootconf (a 0600 file).
//
// api imports only package epu.
package api

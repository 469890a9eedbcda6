// Package store keeps the record of a run in SQLite (modernc.org/sqlite): the
// run, its levels and services with every resolved key, the attribute bag,
// the history of every instance ever launched, and an append-only event
// journal. One database file per run, schema migrations embedded, a lock per
// run so that two processes never change one run at once.
//
// A value its caller marks Redacted is stored as NULL; what is secret is the
// caller's decision (plan.IsSecret, applied by bootlevel.Record), so that
// one package owns that list. See docs/record.md for what is stored.
//
// store is a leaf: it must not import any other package of this module, and
// its record types are plain values, not plan or iaas types.
package store

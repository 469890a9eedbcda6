// Package verify decides readiness: an instance that runs, an SSH port that
// answers, a command that succeeds over SSH, a ready program that exits 0.
// Polling uses backoff under context deadlines; a definite failure stops it.
//
// verify may import remote and nothing else of this module.
package verify

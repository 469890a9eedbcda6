// Command cloudinitd-instance is the local driver's instance server alone:
// package iaas/local and what it imports, nothing else. cloudinitd starts
// it for every local instance when it lies beside the cloudinitd
// executable (`go install ./cmd/...` puts it there); without it cloudinitd
// re-executes itself, as before. Its start costs a third of the whole
// cloudinitd executable's (no AWS SDK, SQLite or markdown initialisers),
// which a boot of many local services pays once per service
// (docs/local-driver.md, docs/performance.md). It is not a command to run
// by hand.
package main

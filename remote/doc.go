// Package remote runs programs on hosts: over SSH (golang.org/x/crypto/ssh)
// or on the local machine. It creates stage directories, uploads files with
// modes, unpacks *.tar.gz programs by the run.sh convention, runs a program
// with a deadline that kills its whole process group, streams its output and
// fetches files back.
//
// remote is a leaf: it must not import any other package of this module.
package remote

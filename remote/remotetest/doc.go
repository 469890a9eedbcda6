// Package remotetest provides real SSH servers for tests: Server, a small
// in-process golang.org/x/crypto/ssh server (exec through /bin/sh -c, env,
// exit-status and exit-signal, signal requests, agent forwarding, sftp on
// request, counters of exec and sftp sessions, RewriteExec to stand in for a
// host that restricts commands), and
// StartSSHD, which runs OpenSSH's sshd on a loopback address with its own
// configuration. It also makes key pairs and in-process ssh-agents.
//
// remotetest is for tests only and imports no package of this module.
package remotetest

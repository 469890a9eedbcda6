// Package local is the embedded default cloud: `iaas: local` boots a plan on
// this machine with no cloud account, no root and nothing installed beyond
// the cloudinitd binary.
//
// # Instances
//
// An instance is a detached process — the instance server: [ServerProgram]
// (./cmd/cloudinitd-instance) when it lies beside the running executable,
// otherwise the same executable re-executed, either with the environment
// variable CLOUDINITD_LOCAL_INSTANCE=<dir> — that serves SSH
// (golang.org/x/crypto/ssh, server side) on its own loopback address, a
// distinct 127.77.<n>.<m> per instance. The launcher binds the address itself
// (port 22 when the process may, otherwise a free high port; Instance.SSH.Port
// tells), so the choice is confirmed before anything starts, and hands the
// bound socket to the server. Programs run as the current user through
// /bin/sh -c, with cwd <dir>/work (Instance.WorkDir), whatever user name the
// client logs in with (the command "exec /bin/sh", with which the engine
// starts its persistent shell, starts /bin/sh at once: what the first shell
// would have done). The server supports exec and shell requests (no pty),
// env requests, exit-status and exit-signal, signal requests, agent
// forwarding (SSH_AUTH_SOCK is a socket in the instance directory proxied to
// the client's agent), the sftp subsystem (github.com/pkg/sftp, served in
// the server process; OpenSSH's scp uses it) and keepalives (answered like
// OpenSSH does). When the client closes the channel or the connection while
// a command runs, the command's whole process group is killed; a command
// that exits by itself leaves its background children alone, as sshd does.
//
// The launcher starts the server itself, in a new session with its stdio on
// /dev/null and server.log, handing it the bound listener and the write end
// of a pipe on which the server says it is ready; Launch returns once it
// has (an executable that is not a server closes the pipe without a word: a
// permanent error). The server outlives the launcher: nothing the
// launcher's terminal sends reaches it, and when the launcher exits it is
// re-parented to init (or the nearest subreaper). While the launcher runs
// the server is its child, which no goroutine waits on: Describe and
// Terminate reap it once it has ended, so that it does not stay a zombie.
// (An intermediate spawner process, which let the server be re-parented at
// once, cost a second start of the whole executable per instance.)
// Executables that embed this driver must call [MaybeServe] first thing in
// main (and test binaries in TestMain). The launcher passes its protocol
// version; a server of another one refuses to start (a stale
// cloudinitd-instance beside a newer cloudinitd), a permanent launch error.
//
// # State
//
// Everything lives under a state directory (default ~/.cloudinitd/local):
//
//	<state>/<id>/meta.json      id, run, service, token, address, pid, state...
//	<state>/<id>/host_key       the instance's ed25519 host key (0600)
//	<state>/<id>/authorized_keys the run's client public key
//	<state>/<id>/server.log     the server's own output
//	<state>/<id>/ready          written by the server once it accepts
//	<state>/<id>/server.pid     "<pid> <start time>" of the server
//	<state>/<id>/work/          Instance.WorkDir and the cwd of every command
//	<state>/keys/<run>/id_ed25519 the run's client key (0600), never logged
//	<state>/tokens/<sha256>     client token -> id, for idempotent Launch
//
// Internal files sit beside, not inside, the work directory so that a boot
// program cleaning its work directory cannot destroy the record. Describe
// reads this directory, so it tells the truth from another process and after
// a crash: the server's pid is checked against its /proc start time (pid
// reuse) and the kernel is asked whether a connection to its address would
// find a listener (socket diagnostics; dialed where those are missing).
// Terminated instances keep their directory as a record.
//
// # Terminate
//
// Every process an instance starts carries CLOUDINITD_LOCAL_INSTANCE_ID=<id>
// in its environment, and children inherit it, including daemons started with
// nohup, setsid or a double fork. Terminate kills the server, then scans
// /proc/*/environ for the marker and kills each marked process and its
// process group (SIGTERM, then SIGKILL), repeating until none remain.
// Concurrent Terminate calls of one driver share their scans: one read of
// /proc serves every caller waiting for the next. This needs no root. A process that clears its whole environment escapes the
// scan unless it stays in a marked process group; cgroups are not used.
//
// Image and allocation are accepted and recorded in meta.json for the record;
// they mean nothing here. The instance's hostname is its loopback address.
// Linux only (it relies on /proc).
//
// FindByRun lists every instance of the state directory launched for a run
// (iaas.RunFinder), and ProvidesSSHKey tells the engine that
// plans need no SSH key of their own (iaas.SSHKeyProvider).
//
// local imports only iaas (and x/crypto); it must not import any other
// package of this module.
package local

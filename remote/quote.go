package remote

import (
	"sort"
	"strings"
)

// Quote returns s as one single-quoted word for a POSIX shell: every byte
// survives exactly, including spaces, quotes, $ and newlines.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// QuoteArgv quotes each word and joins them with spaces.
func QuoteArgv(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = Quote(a)
	}
	return strings.Join(q, " ")
}

// pidMarker starts the first stderr line of every command run over SSH; the
// line carries the shell's pid, which leads the command's process group.
const pidMarker = "cloudinitd-remote-pid:"

// shellLine builds the line sent over SSH for cmd in an exec session of
// its own. The user's login shell hands it to /bin/sh, which reports its
// pid on stderr, changes directory, exports the environment and execs the
// program (keeping the pid, the process group leader under OpenSSH, which
// starts every session with setsid).
func shellLine(cmd Cmd) string {
	return "exec /bin/sh -c " + Quote("echo "+pidMarker+"$$ >&2 && "+cmdBody(cmd))
}

// cmdBody is the part of a command line that unsets SSH_AUTH_SOCK (unless
// the command forwards the agent), changes directory, exports the
// environment and execs the program.
func cmdBody(cmd Cmd) string {
	return cmdPrefix(cmd) + "exec " + QuoteArgv(cmd.Argv)
}

// inShellCommand is what a persistent shell (which is /bin/sh) runs for
// cmd in itself, without the subshell of a program (a fork on the host,
// several milliseconds of CPU when many hosts share a machine), for the
// commands that need none and have no directory or environment of their
// own: `true` alone (the builtin, as `ssh host true` ran it) and package
// remote's own scripts (Cmd.inline: argv "/bin/sh -c SCRIPT NAME
// ARGS..."), run with their arguments set; such a script must leave the
// shell as it found it (see prepareScript). ok is false for every other
// command, which runs in a subshell (cmdBody).
func inShellCommand(cmd Cmd) (body string, ok bool) {
	if cmd.Dir != "" || len(cmd.Env) > 0 {
		return "", false
	}
	switch {
	case cmd.inline && len(cmd.Argv) >= 4 && cmd.Argv[0] == "/bin/sh" && cmd.Argv[1] == "-c":
		return "{ set -- " + QuoteArgv(cmd.Argv[4:]) + "\n" + cmd.Argv[2] + "\n}", true
	case len(cmd.Argv) == 1 && cmd.Argv[0] == "true":
		return "true", true
	}
	return "", false
}

// cmdPrefix unsets SSH_AUTH_SOCK, changes directory and exports the
// environment, each followed by " && ".
func cmdPrefix(cmd Cmd) string {
	var b strings.Builder
	if !cmd.ForwardAgent {
		// OpenSSH keeps a forwarded agent for the whole connection; only
		// commands that asked for it see it.
		b.WriteString("unset SSH_AUTH_SOCK && ")
	}
	if cmd.Dir != "" {
		b.WriteString("cd " + Quote(cmd.Dir) + " && ")
	}
	keys := make([]string, 0, len(cmd.Env))
	for k := range cmd.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString("export " + k + "=" + Quote(cmd.Env[k]) + " && ")
	}
	return b.String()
}

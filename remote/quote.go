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

// inShellBody is cmdBody for the persistent shell's subshell, which is
// /bin/sh itself: a script of package remote's own (Cmd.inline: argv
// "/bin/sh -c SCRIPT NAME ARGS...") runs there with its arguments set
// instead of in a new /bin/sh, and `true` alone is the shell's builtin,
// as `ssh host true` ran it; every other program is exec'ed. What the
// host spares is a program started (an exec of /bin/sh, of true): each
// costs it milliseconds of CPU, and every host of a fan-out shares the
// CPUs of its machine when they are virtual.
func inShellBody(cmd Cmd) string {
	switch {
	case cmd.inline && len(cmd.Argv) >= 4 && cmd.Argv[0] == "/bin/sh" && cmd.Argv[1] == "-c":
		return cmdPrefix(cmd) + "set -- " + QuoteArgv(cmd.Argv[4:]) + " && {\n" + cmd.Argv[2] + "\n}"
	case len(cmd.Argv) == 1 && cmd.Argv[0] == "true":
		return cmdPrefix(cmd) + "true"
	}
	return cmdBody(cmd)
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

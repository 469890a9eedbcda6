package main

import (
	"fmt"
	"io"
	"strings"
)

func writeEpuHelp(w io.Writer, self string) {
	fmt.Fprintf(w, "Usage: %s SUBCOMMAND [OPTIONS] [ARGS]\n\n", self)
	writeWrapped(w, "", "The elastic layer's program (docs/epu.md): the provisioner and controller daemons that "+
		"a launch plan's services start, and ctl, their client on the daemon's host. The cloudinitd binary "+
		"is this program when invoked as 'epu' (a symlink) or as 'cloudinitd epu'.")
	fmt.Fprintln(w, "\nSubcommands:")
	writeTable(w, [][2]string{
		{"provisioner --config FILE [--log FILE]", "run the provisioner daemon: launches and terminates workers"},
		{"controller --config FILE [--log FILE]", "run the controller daemon: domains whose engines decide how many workers"},
		{"ctl [--state-dir DIR] CALL [ARGS]", "call the daemon whose state directory is DIR; JSON out"},
		{"agent --config FILE [--log FILE]", "run the node agent of a worker: heartbeats, health checks, keepalive"},
		{"node [--home DIR] VERB [ARGS]", "what scripts on a worker call: config, log, keepalive, shutdown, autoscale..."},
		{"help [SUBCOMMAND]", "show this help or a subcommand's"},
	}, 40)
	fmt.Fprintf(w, "\n'%s help ctl' lists the calls.\n\n%s", self, epuExitStatus)
}

const epuExitStatus = `EXIT STATUS:
   0    done (a daemon: stopped by SIGTERM or SIGINT after draining)
   1    failed (the configuration, the daemon, the call; the message says which)
   2    usage: unknown subcommand, call or option, missing or extra argument
   123  ctl wait-stable: the domain did not become stable (fails the level)
   130  interrupted (ctl)
`

func writeEpuDaemonHelp(w io.Writer, self, role string) {
	fmt.Fprintf(w, "Usage: %s %s --config FILE [--log FILE]\n\n", self, role)
	what := map[string]string{
		"provisioner": "Runs the provisioner daemon: it launches, contextualizes and terminates the run's workers on the deployable types of its configuration, and pushes each node's changes to its subscribers.",
		"controller":  "Runs the controller daemon: its domains' decision engines decide how many workers each needs, and it asks the provisioner for them.",
	}[role]
	writeWrapped(w, "", what+" FILE is the service's bootconf (JSON; keys in docs/epu.md). "+
		"The daemon listens on its listen address, writes its URL to <state_dir>/api_url and its token to "+
		"<state_dir>/token (0600), logs JSON lines to <state_dir>/"+role+".log, and drains and exits 0 on "+
		"SIGTERM or SIGINT. It runs in the foreground: a boot program starts it with nohup or setsid.")
	fmt.Fprintln(w, "\nOptions:")
	writeTable(w, [][2]string{
		{"--config FILE", "the daemon's configuration (required)"},
		{"--log FILE", "log JSON lines to FILE instead of <state_dir>/" + role + ".log"},
	}, 26)
}

func writeCtlHelp(w io.Writer, self string) {
	fmt.Fprintf(w, "Usage: %s ctl [--state-dir DIR] CALL [ARGS]\n\n", self)
	writeWrapped(w, "", "Calls the daemon whose state directory is DIR (--state-dir, else $"+stateDirEnv+
		"), on the daemon's host: its URL is DIR/api_url and its token DIR/token. The answer is JSON on "+
		"stdout; errors go to stderr.")
	for _, daemon := range []string{"provisioner", "controller", "daemon"} {
		title := map[string]string{"provisioner": "a provisioner", "controller": "a controller", "daemon": "either"}[daemon]
		fmt.Fprintf(w, "\nCalls of %s:\n", title)
		var rows [][2]string
		for _, c := range ctlCalls() {
			if c.daemon == daemon {
				rows = append(rows, [2]string{strings.TrimSpace(c.name + " " + c.args), c.usage})
			}
		}
		writeTable(w, rows, 34)
	}
	fmt.Fprintln(w, "\nOptions:")
	writeTable(w, [][2]string{
		{"--state-dir DIR", "the daemon's state directory (its configuration's state_dir)"},
		{"--wait", "terminate-all: poll every second until done, tolerating 5 transient errors"},
		{"--timeout DURATION", "terminate-all --wait: give up after DURATION (default 5m), exit 1"},
	}, 26)
}

// epuHelpCommand is 'epu help [SUBCOMMAND]'.
func epuHelpCommand(w io.Writer, self string, args []string) error {
	switch firstWord(args) {
	case "":
		writeEpuHelp(w, self)
	case "provisioner", "controller":
		writeEpuDaemonHelp(w, self, args[0])
	case "ctl":
		writeCtlHelp(w, self)
	case "agent":
		writeAgentHelp(w, self)
	case "node":
		writeNodeHelp(w, self)
	case "help":
		writeEpuHelp(w, self)
	default:
		return epuUsage(self, "unknown subcommand %q", args[0])
	}
	return nil
}

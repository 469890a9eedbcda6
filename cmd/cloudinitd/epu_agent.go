package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/epu/agent"
)

// runAgentCommand is 'epu agent --config FILE [--log FILE]': the node
// agent of a worker (docs/agent.md), in the foreground until SIGTERM or
// SIGINT. It logs JSON lines to <home>/logs/agent.log (or --log).
func runAgentCommand(ctx context.Context, self string, args []string) error {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	config := fs.String("config", "", "")
	logPath := fs.String("log", "", "")
	pos, err := parseEpuFlags(fs, self, "agent", args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return epuUsage(self, "%s agent takes no arguments; unexpected %q", self, pos[0])
	}
	if *config == "" {
		return epuUsage(self, "%s agent needs --config FILE (the worker's agent configuration, docs/agent.md)", self)
	}
	cfg, err := agent.LoadConfig(*config)
	if err != nil {
		return cl.WithHint(err, "the agent's configuration keys are listed in docs/agent.md")
	}
	home := agent.Home(cfg.Home)
	if err := home.Make(); err != nil {
		return err
	}
	if *logPath == "" {
		*logPath = filepath.Join(home.LogDir(), "agent.log")
	}
	logf, err := os.OpenFile(*logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open the log: %w", err)
	}
	defer logf.Close()
	log := slog.New(slog.NewJSONHandler(logf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := agent.New(cfg, agent.Deps{Logger: log})
	if err != nil {
		return fmt.Errorf("%s: %w", *config, err)
	}
	err = a.Run(ctx)
	if errors.Is(err, agent.ErrAgentRunning) {
		return cl.WithHint(err, "one agent per home: stop the other, or give this one another home (the home key)")
	}
	return err
}

func writeAgentHelp(w io.Writer, self string) {
	fmt.Fprintf(w, "Usage: %s agent --config FILE [--log FILE]\n\n", self)
	writeWrapped(w, "", "Runs the node agent of a worker (docs/agent.md): heartbeats to its controller with the "+
		"domain's node token, the health checks of <home>/healthcheck.d each healthcheck_period (only exit 254 "+
		"means unhealthy), the converge_timeout and scheduled_shutdown checks, keepalive. It never powers the "+
		"machine off: an unhealthy node is reported to the controller, which replaces it. It runs in the "+
		"foreground (a boot program starts it with nohup or setsid), logs JSON lines to <home>/logs/agent.log "+
		"and exits 0 on SIGTERM or SIGINT. Scripts on the worker talk to it with '"+self+" node VERB'.")
	fmt.Fprintln(w, "\nOptions:")
	writeTable(w, [][2]string{
		{"--config FILE", "the agent's configuration (required)"},
		{"--log FILE", "log JSON lines to FILE instead of <home>/logs/agent.log"},
	}, 26)
}

func writeNodeHelp(w io.Writer, self string) {
	fmt.Fprintf(w, "Usage: %s node [--home DIR] VERB [ARGS]\n\n", self)
	writeWrapped(w, "", "What scripts on a worker call (Jetpack's commands, docs/agent.md), through the agent "+
		"running on this node: its home is --home, else $"+agent.HomeEnv+", else ~/.epu-agent. Without a running "+
		"agent every verb fails and says how to start one.")
	fmt.Fprintln(w, "\nVerbs:")
	var rows [][2]string
	for _, v := range nodeVerbs() {
		rows = append(rows, [2]string{v.name + " " + v.args, v.usage})
	}
	writeTable(w, rows, 44)
}

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cloudinitd/cloudinitd/epu/agent"
)

// The verbs of "cloudinitd epu node" (nodeVerbs), each run on its parsed
// command line (nodeRun).

func nodeConfig(_ context.Context, v nodeRun) error {
	asJSON := v.fs.Bool("json", false, "")
	pos, err := v.parse(0, 1)
	if err != nil {
		return err
	}
	if len(pos) == 0 && !*asJSON {
		return epuUsage(v.self, "usage: %s node config KEY [--json] (or --json alone for every key)", v.self)
	}
	n, err := v.open()
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return v.printJSON(n.ConfigValues())
	}
	val, err := n.Config(pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		return v.printJSON(map[string]string{pos[0]: val})
	}
	_, err = fmt.Fprintln(v.env.Streams.Out, val)
	return err
}

func nodeLog(ctx context.Context, v nodeRun) error {
	level := v.fs.String("level", "", "")
	priority := v.fs.String("priority", "", "")
	pos, err := v.parse(1, -1)
	if err != nil {
		return err
	}
	if err := agent.CheckLog(strings.Join(pos, " "), *level, *priority); err != nil {
		return v.usageOf(err) // before the agent is looked for: the mistake is the script's
	}
	n, err := v.open()
	if err != nil {
		return err
	}
	ans, err := n.Log(ctx, strings.Join(pos, " "), *level, *priority)
	if err != nil {
		return v.usageOf(err)
	}
	return v.printJSON(ans)
}

func nodeKeepAlive(_ context.Context, v nodeRun) error {
	pos, err := v.parse(0, 1)
	if err != nil {
		return err
	}
	arg := ""
	if len(pos) == 1 {
		arg = pos[0]
	}
	if _, _, err := agent.ParseKeepAlive(arg); err != nil {
		return epuUsage(v.self, "%s node %v", v.self, err)
	}
	n, err := v.open()
	if err != nil {
		return err
	}
	until, forever, err := n.KeepAlive(arg, time.Now())
	if err != nil {
		return v.usageOf(err)
	}
	if forever {
		_, err = fmt.Fprintln(v.env.Streams.Out, "keepalive: forever (the local health verdict is not reported)")
	} else {
		_, err = fmt.Fprintf(v.env.Streams.Out, "keepalive: until %s\n", until.UTC().Format(time.RFC3339))
	}
	return err
}

func nodeShutdown(ctx context.Context, v nodeRun) error {
	unhealthy := v.fs.Bool("unhealthy", false, "")
	if _, err := v.parse(0, 0); err != nil {
		return err
	}
	n, err := v.open()
	if err != nil {
		return err
	}
	ans, err := n.Shutdown(ctx, *unhealthy, time.Now())
	if err != nil {
		return err
	}
	if err := v.printJSON(ans); err != nil {
		return err
	}
	if !ans.Granted {
		return fmt.Errorf("shutdown refused: %s", ans.Reason)
	}
	return nil
}

func nodeRunOnShutdown(_ context.Context, v nodeRun) error {
	pos, err := v.parse(1, 1)
	if err != nil {
		return err
	}
	n, err := v.open()
	if err != nil {
		return err
	}
	return n.RunOnShutdown(pos[0])
}

func nodeRunHooks(ctx context.Context, v nodeRun) error {
	timeout := v.fs.Duration("timeout", agent.DefaultShutdownHookTimeout, "")
	if _, err := v.parse(0, 0); err != nil {
		return err
	}
	n, err := v.open()
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(n.Home.LogDir(), "agent.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	log := slog.New(slog.NewJSONHandler(logf, nil)).With("node_id", n.Cfg.NodeID)
	failed, err := agent.RunHooks(ctx, n.Home, *timeout, log, v.env.Streams.Err)
	if err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("run_on_shutdown: %d script(s) failed (see %s/agent.log)", failed, n.Home.LogDir())
	}
	return nil
}

func nodeTest(ctx context.Context, v nodeRun) error {
	timeout := v.fs.Duration("timeout", 10*time.Minute, "")
	if _, err := v.parse(0, 0); err != nil {
		return err
	}
	n, err := v.open()
	if err != nil {
		return err
	}
	return n.Test(ctx, v.env.Streams.Out, *timeout)
}

func nodeReportIssue(_ context.Context, v nodeRun) error {
	dir := v.fs.String("dir", "", "")
	if _, err := v.parse(0, 0); err != nil {
		return err
	}
	n, err := v.open()
	if err != nil {
		return err
	}
	p, err := n.ReportIssue(*dir)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(v.env.Streams.Out, p)
	return err
}

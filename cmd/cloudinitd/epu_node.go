package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/epu/agent"
)

// nodeVerb is one verb of 'epu node'.
type nodeVerb struct {
	name, args, usage string
	run               func(ctx context.Context, v nodeRun) error
}

// nodeRun is what a verb works with.
type nodeRun struct {
	self string
	env  cl.Env
	fs   *flag.FlagSet
	args []string // after the verb
	home agent.Home
}

func nodeVerbs() []nodeVerb {
	return []nodeVerb{
		{"config", "KEY [--json]", "a value given to this node: node_id, instance_id, domain, controller, home, the plan values (--json: all, or {KEY: value})", nodeConfig},
		{"log", "MESSAGE [--level info|warn|error] [--priority low|medium|high]", "send a message to the controller (error defaults to high priority, others medium; only medium and above are shown)", nodeLog},
		{"keepalive", "[DURATION|forever]", "suppress the local health verdict for DURATION (default 1h) or forever", nodeKeepAlive},
		{"shutdown", "[--unhealthy]", "ask the controller to stop this node; it answers granted (exit 0) or refused (exit 1)", nodeShutdown},
		{"run_on_shutdown", "SCRIPT", "run SCRIPT (an absolute path) before this node is terminated", nodeRunOnShutdown},
		{"run_shutdown_hooks", "[--timeout DURATION]", "run the registered run_on_shutdown scripts (what the provisioner runs over SSH)", nodeRunHooks},
		{"test", "[--timeout DURATION]", "run this node's ready program", nodeTest},
		{"report_issue", "[--dir DIR]", "zip the agent's logs and print the archive's path", nodeReportIssue},
		{"autoscale", "--instancecount N | --corecount N [--name ARRAY] | --file JSON", "set the autoscale target of this node's domain (docs/autoscale.md)", nodeAutoscale},
	}
}

// runNode is 'epu node [--home DIR] VERB [ARGS]'.
func runNode(ctx context.Context, env cl.Env, self string, args []string) error {
	homeFlag := ""
	if len(args) > 0 && (args[0] == "--home" || strings.HasPrefix(args[0], "--home=")) {
		if v, ok := strings.CutPrefix(args[0], "--home="); ok {
			homeFlag, args = v, args[1:]
		} else if len(args) > 1 {
			homeFlag, args = args[1], args[2:]
		} else {
			return epuUsage(self, "%s node: --home needs a directory", self)
		}
	}
	verb := firstWord(args)
	if verb == "" {
		return epuUsage(self, "%s node: missing verb (%s)", self, strings.Join(nodeVerbNames(), ", "))
	}
	for _, v := range nodeVerbs() {
		if v.name != verb {
			continue
		}
		home, err := nodeHome(env, homeFlag)
		if err != nil {
			return err
		}
		return v.run(ctx, nodeRun{self: self, env: env, fs: flag.NewFlagSet(verb, flag.ContinueOnError), args: args[1:], home: home})
	}
	err := epuUsage(self, "%s node: unknown verb %q", self, verb)
	if s := cl.Suggest(verb, nodeVerbNames()); s != "" {
		return cl.WithHint(err, fmt.Sprintf("did you mean %q?", s))
	}
	return err
}

func nodeVerbNames() []string {
	var out []string
	for _, v := range nodeVerbs() {
		out = append(out, v.name)
	}
	return out
}

// nodeHome is --home, else $EPU_AGENT_HOME, else ~/.epu-agent.
func nodeHome(env cl.Env, flagValue string) (agent.Home, error) {
	if flagValue != "" {
		return agent.Home(flagValue), nil
	}
	if h, ok := env.LookupEnv(agent.HomeEnv); ok && h != "" {
		return agent.Home(h), nil
	}
	if env.HomeDir == "" {
		return "", fmt.Errorf("node: no agent home: give --home or set $%s", agent.HomeEnv)
	}
	return agent.Home(filepath.Join(env.HomeDir, ".epu-agent")), nil
}

// parse parses the verb's flags; want bounds the positional arguments.
func (v nodeRun) parse(minArgs, maxArgs int) ([]string, error) {
	pos, err := parseEpuFlags(v.fs, v.self, "node "+v.fs.Name(), v.args)
	if err != nil {
		return nil, err
	}
	if len(pos) < minArgs || (maxArgs >= 0 && len(pos) > maxArgs) {
		for _, nv := range nodeVerbs() {
			if nv.name == v.fs.Name() {
				return nil, epuUsage(v.self, "usage: %s node %s %s", v.self, nv.name, nv.args)
			}
		}
	}
	return pos, nil
}

// open finds the running agent: without one, an error saying how to
// start one.
func (v nodeRun) open() (*agent.Node, error) {
	n, err := agent.OpenNode(v.home)
	if errors.Is(err, agent.ErrNoAgent) {
		return nil, cl.WithHint(err, "the worker's boot program starts it: nohup "+v.self+" agent --config FILE &",
			"docs/agent.md describes its configuration")
	}
	return n, err
}

// usageOf turns the agent package's usage errors into exit-2 errors.
func (v nodeRun) usageOf(err error) error {
	if errors.Is(err, agent.ErrUsage) {
		return epuUsage(v.self, "%s node %v", v.self, strings.TrimPrefix(err.Error(), agent.ErrUsage.Error()+": "))
	}
	return err
}

func (v nodeRun) printJSON(x any) error {
	enc := json.NewEncoder(v.env.Streams.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(x)
}

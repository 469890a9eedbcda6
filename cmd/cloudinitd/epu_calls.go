package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/controller"
	"github.com/cloudinitd/cloudinitd/epu/engine"
	"github.com/cloudinitd/cloudinitd/epu/provisioner"
)

// ctlCalls is the one table of 'epu ctl': its help, its parsing and what
// each call does come from here.
func ctlCalls() []ctlCall {
	return []ctlCall{
		{name: "nodes", args: "[NODE_ID...]", daemon: "provisioner", max: -1,
			usage: "describe_nodes: the records of the nodes named, or of every node",
			run: func(ctx context.Context, t ctlTarget, a []string) (any, error) {
				return nodesAnswer(t.prov().DescribeNodes(ctx, a...))
			}},
		{name: "state", daemon: "provisioner",
			usage: "every launch and node record, and whether provisioning is disabled",
			run:   func(ctx context.Context, t ctlTarget, _ []string) (any, error) { return t.prov().State(ctx) }},
		{name: "terminate-all", daemon: "provisioner", flags: []string{"wait", "timeout"},
			usage: "disable provisioning and terminate every worker; done is true only when none can remain " +
				"(--wait: until then, exit 1 after --timeout)",
			run: func(ctx context.Context, t ctlTarget, _ []string) (any, error) {
				return pollTerminateAll(ctx, t, t.prov().TerminateAll)
			}},
		{name: "enable", daemon: "provisioner",
			usage: "enable provisioning again after terminate-all",
			run: func(ctx context.Context, t ctlTarget, _ []string) (any, error) {
				if err := t.prov().Enable(ctx); err != nil {
					return nil, err
				}
				return map[string]bool{"enabled": true}, nil
			}},
		{name: "provision", args: "DEPLOYABLE_TYPE [COUNT]", daemon: "provisioner", min: 1, max: 2,
			usage: "for debugging: launch COUNT (default 1) workers of a deployable type under a new launch id",
			run:   ctlProvision},
		{name: "terminate-nodes", args: "NODE_ID...", daemon: "provisioner", min: 1, max: -1,
			usage: "for debugging: terminate nodes (their controller, if any, will replace them)",
			run: func(ctx context.Context, t ctlTarget, a []string) (any, error) {
				return nodesAnswer(t.prov().TerminateNodes(ctx, a...))
			}},
		{name: "worker-logs", args: "NODE_ID", daemon: "provisioner", min: 1, max: 1,
			usage: "a worker's log files as a tar stream on standard output, fetched by the provisioner over SSH " +
				"(its deployable type's log_dir, else the *.log and *.out files of its stage directory)",
			run: func(ctx context.Context, t ctlTarget, a []string) (any, error) {
				b, err := t.prov().WorkerLogs(ctx, a[0])
				if err != nil {
					return nil, err
				}
				return rawAnswer(b), nil
			}},
		{name: "domains", daemon: "controller",
			usage: "the controller's domains: engine, size cap, live instances, engine state",
			run: func(ctx context.Context, t ctlTarget, _ []string) (any, error) {
				return t.ctrl().Domains(ctx)
			}},
		{name: "whole-state", args: "DOMAIN", daemon: "controller", min: 1, max: 1,
			usage: "a domain's whole state: engine state and report, instances with state and health, sensors, stop-loss",
			run: func(ctx context.Context, t ctlTarget, a []string) (any, error) {
				return t.ctrl().WholeState(ctx, a[0])
			}},
		{name: "de-state", args: "DOMAIN", daemon: "controller", min: 1, max: 1,
			usage: "a domain's decision-engine state: PENDING_DE, STABLE_DE or DEVMODE_FAILED_DE",
			run: func(ctx context.Context, t ctlTarget, a []string) (any, error) {
				return t.ctrl().DEState(ctx, a[0])
			}},
		{name: "reconfigure", args: "DOMAIN KEY=VALUE...|JSON", daemon: "controller", min: 2, max: -1,
			usage: "change a domain's engine configuration (kept across restarts): preserve_n=5, or a JSON object",
			run:   ctlReconfigure},
		{name: "sensor", args: "DOMAIN SENSOR_ID VALUE", daemon: "controller", min: 3, max: 3,
			usage: "send a sensor reading (VALUE as JSON if it parses, else a string), timed now",
			run: func(ctx context.Context, t ctlTarget, a []string) (any, error) {
				s := epu.Sensor{SensorID: a[1], Time: time.Now().UnixMicro(), Value: jsonOrString(a[2])}
				return t.ctrl().Sensor(ctx, a[0], s)
			}},
		{name: "resume", args: "DOMAIN", daemon: "controller", min: 1, max: 1,
			usage: "end a domain's stop-loss: replace unhealthy instances again",
			run: func(ctx context.Context, t ctlTarget, a []string) (any, error) {
				return t.ctrl().Resume(ctx, a[0])
			}},
		{name: "autoscale", args: "DOMAIN [instancecount=N | corecount=N] [name=ARRAY]", daemon: "controller", min: 1, max: 3,
			usage: "a domain's node arrays (autoscale engine); with a count, set the array's target first " +
				"(what 'epu node autoscale' asks, with the admin token)",
			run: ctlAutoscale},
		{name: "wait-stable", args: "DOMAIN", daemon: "controller", min: 1, max: 1,
			usage: "the ready program of a controller's service: at boot (CLOUDINITD_COMMAND=boot) wait until " +
				"the domain is stable, exit 123 if it will not be; otherwise answer at once",
			run: ctlWaitStable},
		{name: "health", daemon: "daemon",
			usage: "whether the daemon answers, and its counts (provisioner or controller)",
			run: func(ctx context.Context, t ctlTarget, _ []string) (any, error) {
				var out json.RawMessage
				err := t.client.Call(ctx, http.MethodGet, "/v1/health", nil, &out)
				if err != nil {
					return nil, err
				}
				return out, nil
			}},
	}
}

func (t ctlTarget) prov() *provisioner.Client {
	return &provisioner.Client{API: *t.client}
}

func (t ctlTarget) ctrl() *controller.Client {
	return &controller.Client{Client: *t.client}
}

// nodesAnswer is the answer of the calls that return node records.
func nodesAnswer(nodes []epu.Node, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	if nodes == nil {
		nodes = []epu.Node{}
	}
	return map[string][]epu.Node{"nodes": nodes}, nil
}

func ctlProvision(ctx context.Context, t ctlTarget, a []string) (any, error) {
	n := 1
	if len(a) == 2 {
		var err error
		if n, err = strconv.Atoi(a[1]); err != nil || n < 1 || n > 1000 {
			return nil, cl.Usagef("provision: COUNT must be a number from 1 to 1000, not %q", a[1])
		}
	}
	req := epu.ProvisionRequest{LaunchID: "ctl-" + randomHex(6), DeployableType: a[0]}
	for i := 0; i < n; i++ {
		req.NodeIDs = append(req.NodeIDs, "ctl-"+randomHex(8))
	}
	return t.prov().Provision(ctx, req)
}

func ctlReconfigure(ctx context.Context, t ctlTarget, a []string) (any, error) {
	conf := engine.Conf{}
	if rest := strings.TrimSpace(strings.Join(a[1:], " ")); strings.HasPrefix(rest, "{") {
		if err := json.Unmarshal([]byte(rest), &conf); err != nil {
			return nil, cl.Usagef("reconfigure: the configuration is not a JSON object: %v", err)
		}
	} else {
		for _, kv := range a[1:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || strings.TrimSpace(k) == "" {
				return nil, cl.Usagef("reconfigure: %q is not KEY=VALUE", kv)
			}
			conf[strings.TrimSpace(k)] = jsonOrString(v)
		}
	}
	return t.ctrl().Reconfigure(ctx, a[0], conf)
}

// jsonOrString is v as JSON decodes it when it is a JSON value (5, true,
// [1,2]), else the string v.
func jsonOrString(v string) any {
	var x any
	if err := json.Unmarshal([]byte(v), &x); err == nil {
		return x
	}
	return v
}

func ctlWaitStable(ctx context.Context, t ctlTarget, a []string) (any, error) {
	command, _ := t.env.LookupEnv("CLOUDINITD_COMMAND")
	var last epu.DEState
	err := controller.WaitStable(ctx, t.ctrl(), a[0], controller.WaitOptions{
		Command:  command,
		Progress: func(s epu.DEState) { last = s },
	})
	if err != nil {
		return nil, notStable(err)
	}
	answer := map[string]any{"domain": a[0], "waited": command == "boot"}
	if last != "" {
		answer["de_state"] = last
	}
	return answer, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on Linux
	}
	return hex.EncodeToString(b)
}

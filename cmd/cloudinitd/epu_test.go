package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
)

// epuRunner runs the epu program in this process, as 'cloudinitd epu'
// (Main) with environment env; it returns the exit code, stdout, stderr.
func epuRunner(env map[string]string) func(ctx context.Context, args ...string) (int, string, string) {
	return func(ctx context.Context, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		e := cl.Env{
			Streams:   cl.IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb},
			LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
			HomeDir:   os.TempDir(),
			Prog:      "cloudinitd",
		}
		code := Main(ctx, append([]string{"epu"}, args...), e)
		return code, out.String(), errb.String()
	}
}

// provisionerConf writes a provisioner configuration on the fake driver
// (workers without programs: ready once running) and returns its path and
// state directory.
func provisionerConf(t *testing.T, secret string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	conf := map[string]any{
		"service": "provisioner", "run_id": "epurun.0000abcd", "run_secret": secret,
		"state_dir": state, "listen": "127.0.0.1:0", "iaas_state_dir": filepath.Join(dir, "iaas"),
		"query_period": "1s",
		"deployable_types": map[string]any{
			"sleeper": map[string]any{"iaas": "fake", "image": "img", "allocation": "small",
				"options": map[string]string{"fake_running_delay": "0", "fake_launch_delay": "0", "fake_terminate_delay": "0"}},
		},
	}
	b, err := json.Marshal(conf)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "provisioner.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, state
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not %s after %s", what, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestEpuArgs: the epu program is the binary invoked as epu, or
// cloudinitd's first word epu.
func TestEpuArgs(t *testing.T) {
	for _, tc := range []struct {
		prog string
		args []string
		want []string
		ok   bool
	}{
		{"epu", []string{"ctl", "nodes"}, []string{"ctl", "nodes"}, true},
		{"cloudinitd", []string{"epu", "ctl", "nodes"}, []string{"ctl", "nodes"}, true},
		{"cloudinitd", []string{"boot", "epu"}, nil, false},
		{"cid", []string{"epu"}, []string{}, true},
	} {
		got, ok := epuArgs(tc.prog, tc.args)
		if ok != tc.ok || !cmp.Equal(got, tc.want) {
			t.Errorf("epuArgs(%q, %q) = %q, %v; want %q, %v", tc.prog, tc.args, got, ok, tc.want, tc.ok)
		}
	}
}

// TestEpuHelp: epu's help, each subcommand's and the ctl calls' fit in
// 100 columns; every ctl call is listed; 'cloudinitd help epu' shows
// epu's help, not cloudinitd's options; a bare epu is a usage error.
func TestEpuHelp(t *testing.T) {
	ctx := context.Background()
	run := epuRunner(nil)
	for _, args := range [][]string{{"help"}, {"--help"}, {"help", "ctl"}, {"ctl", "-h"}, {"help", "provisioner"}, {"controller", "--help"}} {
		code, out, errs := run(ctx, args...)
		if code != 0 || errs != "" || !strings.HasPrefix(out, "Usage: cloudinitd epu ") {
			t.Errorf("epu %q: exit %d, stderr %q, stdout:\n%s", args, code, errs, out)
		}
		for i, l := range strings.Split(out, "\n") {
			if len(l) > helpWidth {
				t.Errorf("epu %q: line %d is %d columns: %s", args, i+1, len(l), l)
			}
		}
		if args[len(args)-1] == "ctl" {
			for _, c := range ctlCalls() {
				if !strings.Contains(out, "\n  "+c.name) {
					t.Errorf("epu help ctl does not list %s:\n%s", c.name, out)
				}
			}
		}
	}
	var b bytes.Buffer
	if err := writeHelp(&b, helpApp(), []string{"epu"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Usage: cloudinitd epu SUBCOMMAND") || strings.Contains(b.String(), "--database") {
		t.Errorf("cloudinitd help epu:\n%s", b.String())
	}
	code, out, errs := run(ctx)
	if code != cl.ExitUsage || out != "" || !strings.Contains(errs, "epu: error: missing subcommand") {
		t.Errorf("bare epu: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, _, errs = run(ctx, "ctrl")
	if code != cl.ExitUsage || !strings.Contains(errs, `epu: hint: did you mean "ctl"?`) {
		t.Errorf("epu ctrl: exit %d, stderr %q", code, errs)
	}
	code, _, errs = run(ctx, "provisioner", "--config", filepath.Join(t.TempDir(), "none.json"))
	if code != cl.ExitFailed || !strings.Contains(errs, "none.json: no such file or directory") ||
		!strings.Contains(errs, "epu: hint: the configuration keys of the provisioner are listed in docs/epu.md") {
		t.Errorf("epu provisioner with a missing config: exit %d, stderr %q", code, errs)
	}
}

// TestEpuDaemonBadConfig: a configuration error names the file and the
// key, nothing is started (no api_url), exit 1.
func TestEpuDaemonBadConfig(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ role, conf, want string }{
		{"provisioner", `{"service": "provisioner", "run_id": "r.00000001", "run_secret": "x", "state_dir": "s", "listen": "127.0.0.1:0", "deployable_types": {"w": {"iaas": "fake"}}, "max_nodes": -1}`, "max_nodes: must not be negative"},
		{"provisioner", `{"service": "provisioner", "run_id": "r.00000001", "run_secret": "x", "state_dir": "s", "listen": "127.0.0.1:0", "deployable_types": {"w": {}}}`, "deployable_types.w.iaas: required"},
		{"controller", `{"service": "c", "run_secret": "x", "state_dir": "s", "listen": "127.0.0.1:0", "provisioner": {"service": "provisioner", "url": "http://127.0.0.1:1"}, "domains": [], "bogus": 1}`, "bogus"},
		{"controller", `{"service": "c", "run_secret": "x", "state_dir": "s", "listen": "127.0.0.1:0", "provisioner": {"service": "provisioner", "url": "http://127.0.0.1:1"}, "decide_period": "soon", "domains": []}`, "decide_period"},
		{"provisioner", `{"service": "provisioner", "run_id": "r.00000001", "run_secret": "x", "state_dir": "s", "listen": "127.0.0.1:0", "deployable_types": {"w": {"iaas": "fake"}}, "query_period": "soon"}`, "query_period"},
	} {
		path := filepath.Join(dir, tc.role+".json")
		if err := os.WriteFile(path, []byte(tc.conf), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, errs := epuRunner(nil)(context.Background(), tc.role, "--config", path)
		if code != cl.ExitFailed || !strings.Contains(errs, "epu: error: ") || !strings.Contains(errs, path) || !strings.Contains(errs, tc.want) {
			t.Errorf("%s %s: exit %d, stderr:\n%s", tc.role, tc.conf, code, errs)
		}
		if _, err := os.Stat(filepath.Join(dir, "s", "api_url")); err == nil {
			t.Errorf("%s: api_url written for a bad configuration", tc.role)
		}
	}
}

package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
)

// startDaemon runs 'epu ROLE --config conf' in this process until the
// test ends, waits for its api_url, and checks it exits 0 on the drain.
func startDaemon(t *testing.T, role, conf, state string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		code int
		err  string
	}
	done := make(chan result, 1)
	go func() {
		code, _, errs := epuRunner(nil)(ctx, role, "--config", conf)
		done <- result{code, errs}
	}()
	t.Cleanup(func() {
		cancel()
		if r := <-done; r.code != 0 {
			t.Errorf("epu %s exited %d after the drain; stderr:\n%s", role, r.code, r.err)
		}
	})
	waitFor(t, 30*time.Second, role+" listening", func() bool {
		select {
		case r := <-done:
			done <- r
			t.Fatalf("epu %s exited %d before listening; stderr:\n%s", role, r.code, r.err)
		default:
		}
		b, err := os.ReadFile(filepath.Join(state, "api_url"))
		return err == nil && len(b) > 0
	})
}

// TestCtlController: a controller daemon wired as the program wires it
// (built-in engines, the provisioner's client) keeps its domain at
// preserve_n on a real provisioner; wait-stable waits only at boot;
// reconfigure grows the pool; the domain is found by name.
func TestCtlController(t *testing.T) {
	const secret = "s3cret-run-secret-for-the-test"
	pconf, pstate := provisionerConf(t, secret)
	startDaemon(t, "provisioner", pconf, pstate)
	purl, err := os.ReadFile(filepath.Join(pstate, "api_url"))
	if err != nil {
		t.Fatal(err)
	}
	cstate := filepath.Join(t.TempDir(), "ctl-state")
	conf := map[string]any{
		"service": "epu-sleeper", "run_secret": secret, "state_dir": cstate, "listen": "127.0.0.1:0",
		"provisioner":   map[string]string{"service": "provisioner", "url": strings.TrimSpace(string(purl))},
		"decide_period": "1s",
		"domains": []map[string]any{{"name": "sleeper", "deployable_type": "sleeper", "engine": "npreserving",
			"engine_conf": map[string]any{"preserve_n": 2}, "max_size": 5}},
	}
	b, _ := json.Marshal(conf)
	cpath := filepath.Join(t.TempDir(), "controller.json")
	if err := os.WriteFile(cpath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	startDaemon(t, "controller", cpath, cstate)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ctl := epuRunner(map[string]string{stateDirEnv: cstate})
	boot := epuRunner(map[string]string{stateDirEnv: cstate, "CLOUDINITD_COMMAND": "boot"})

	// Not at boot: at once, whatever the domain's state.
	code, out, errs := ctl(ctx, "ctl", "wait-stable", "sleeper")
	if code != 0 || !strings.Contains(out, `"waited": false`) {
		t.Fatalf("wait-stable outside boot: exit %d, stdout %s, stderr %s", code, out, errs)
	}
	code, out, errs = boot(ctx, "ctl", "wait-stable", "sleeper")
	if code != 0 || !strings.Contains(out, `"de_state": "STABLE_DE"`) {
		t.Fatalf("wait-stable at boot: exit %d, stdout %s, stderr %s", code, out, errs)
	}
	running := func(want int) func() bool {
		return func() bool {
			_, out, _ := epuRunner(map[string]string{stateDirEnv: pstate})(ctx, "ctl", "nodes")
			var a struct{ Nodes []epu.Node }
			if json.Unmarshal([]byte(out), &a) != nil {
				return false
			}
			n := 0
			for _, x := range a.Nodes {
				if x.State == epu.Running {
					n++
				}
			}
			return n == want
		}
	}
	waitFor(t, 60*time.Second, "2 workers RUNNING on the provisioner", running(2))
	code, _, errs = ctl(ctx, "ctl", "reconfigure", "sleeper", "preserve_n=3")
	if code != 0 {
		t.Fatalf("reconfigure: exit %d, stderr %s", code, errs)
	}
	waitFor(t, 60*time.Second, "3 workers RUNNING after reconfigure", running(3))
	code, out, _ = ctl(ctx, "ctl", "domains")
	var doms []struct {
		Name string
		Live int
	}
	if code != 0 || json.Unmarshal([]byte(out), &doms) != nil || len(doms) != 1 || doms[0].Name != "sleeper" {
		t.Fatalf("domains: exit %d, %s", code, out)
	}
	code, _, errs = ctl(ctx, "ctl", "de-state", "nosuch")
	if code != 1 || !strings.Contains(errs, "nosuch") {
		t.Errorf("de-state of an unknown domain: exit %d, stderr %s", code, errs)
	}
	code, _, errs = ctl(ctx, "ctl", "reconfigure", "sleeper", "preserve_n")
	if code != 2 || !strings.Contains(errs, `reconfigure: "preserve_n" is not KEY=VALUE`) {
		t.Errorf("reconfigure without a value: exit %d, stderr %s", code, errs)
	}
	// Leave no worker behind the provisioner's drain.
	if code, _, errs := epuRunner(map[string]string{stateDirEnv: pstate})(ctx, "ctl", "terminate-all", "--wait"); code != 0 {
		t.Errorf("terminate-all: exit %d, stderr %s", code, errs)
	}
}

// TestCtlProvisioner: ctl against a real provisioner daemon on
// 127.0.0.1:0: calls answer JSON on stdout, nodes are provisioned and
// terminate-all --wait ends with none left; a wrong state directory and a
// wrong token are clear errors (exit 1), a wrong call a usage error.
func TestCtlProvisioner(t *testing.T) {
	conf, state := provisionerConf(t, "s3cret-run-secret-for-the-test")
	startDaemon(t, "provisioner", conf, state)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	epuRun := epuRunner(map[string]string{stateDirEnv: state})

	code, out, errs := epuRun(ctx, "ctl", "nodes")
	if code != 0 || strings.TrimSpace(out) != `{
  "nodes": []
}` {
		t.Fatalf("ctl nodes: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = epuRun(ctx, "ctl", "--state-dir", state, "provision", "sleeper", "2")
	if code != 0 {
		t.Fatalf("ctl provision: exit %d, stderr %s", code, errs)
	}
	// Both nodes reach RUNNING (no programs: ready once running).
	waitFor(t, 60*time.Second, "2 nodes RUNNING", func() bool {
		_, out, _ := epuRun(ctx, "ctl", "nodes")
		var a struct{ Nodes []epu.Node }
		if json.Unmarshal([]byte(out), &a) != nil {
			return false
		}
		running := 0
		for _, n := range a.Nodes {
			if n.State == epu.Running {
				running++
			}
		}
		return running == 2
	})
	checkCtlWorkerLogs(ctx, t, epuRun)
	code, out, errs = epuRun(ctx, "ctl", "terminate-all", "--wait", "--timeout", "60s")
	var res epu.TerminateAllResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || !res.Done {
		t.Fatalf("terminate-all --wait: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	_, out, _ = epuRun(ctx, "ctl", "nodes")
	var after struct{ Nodes []epu.Node }
	if err := json.Unmarshal([]byte(out), &after); err != nil {
		t.Fatal(err)
	}
	for _, n := range after.Nodes {
		if !n.State.Final() {
			t.Errorf("node %s is %s after terminate-all answered done", n.NodeID, n.State)
		}
	}

	wrongToken := filepath.Join(t.TempDir(), "copy")
	if err := os.MkdirAll(wrongToken, 0o700); err != nil {
		t.Fatal(err)
	}
	url, _ := os.ReadFile(filepath.Join(state, "api_url"))
	if err := os.WriteFile(filepath.Join(wrongToken, "api_url"), url, 0o600); err != nil {
		t.Fatal(err)
	}
	other, _ := api.ServiceToken("another-secret", "provisioner")
	if err := api.WriteToken(wrongToken, other); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "nothere")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string // lines of stderr, in order
	}{
		{"wrong token health", []string{"ctl", "--state-dir", wrongToken, "health"}, 1, []string{
			"epu: error: ctl health: the daemon refused the token of " + wrongToken}},
		{"wrong token admin", []string{"ctl", "--state-dir", wrongToken, "nodes"}, 1, []string{
			"epu: error: ctl nodes: the provisioner refused the token of " + wrongToken + ": GET /v1/nodes: missing or wrong bearer token (unauthorized, HTTP 401)",
			"epu: hint: the token file belongs to another daemon or an older run; the daemon writes its own at start"}},
		{"no such dir", []string{"ctl", "--state-dir", missing, "nodes"}, 1, []string{
			"epu: error: read the provisioner's address: open " + filepath.Join(missing, "api_url") + ": no such file or directory",
			"epu: hint: there is no directory " + missing + ": --state-dir names the state_dir of the provisioner's configuration"}},
		{"not a state dir", []string{"ctl", "--state-dir", filepath.Dir(missing), "state"}, 1, []string{
			"epu: error: read the provisioner's address: open " + filepath.Join(filepath.Dir(missing), "api_url") + ": no such file or directory",
			"epu: hint: " + filepath.Dir(missing) + " has no api_url: it is not a daemon's state directory, or its provisioner has not started listening (see its log there)"}},
		{"unknown call", []string{"ctl", "node"}, 2, []string{
			`epu: error: unknown ctl call "node"`, `epu: hint: did you mean "nodes"?`}},
		{"foreign flag", []string{"ctl", "nodes", "--wait"}, 2, []string{
			"epu: error: the ctl call nodes does not take --wait"}},
		{"extra argument", []string{"ctl", "whole-state", "a", "b"}, 2, []string{
			"epu: error: usage: cloudinitd epu ctl whole-state DOMAIN"}},
		{"controller call on a provisioner", []string{"ctl", "domains"}, 1, []string{
			"is " + state + " a controller's state directory?"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := epuRun(ctx, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errs)
				}
			}
		})
	}
}

// TestEpuDaemonSIGTERM: 'epu provisioner' as its own process (this test
// binary invoked as epu) drains on SIGTERM and exits 0, saying so in its
// JSON log; SIGHUP does not stop it.
func TestEpuDaemonSIGTERM(t *testing.T) {
	conf, state := provisionerConf(t, "s3cret-run-secret-for-the-test")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "epu")
	if err := os.Symlink(exe, bin); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "provisioner", "--config", conf)
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-done
		}
	})
	waitFor(t, 30*time.Second, "api_url", func() bool {
		b, err := os.ReadFile(filepath.Join(state, "api_url"))
		return err == nil && len(b) > 0
	})
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	code, _, errs := epuRunner(map[string]string{stateDirEnv: state})(context.Background(), "ctl", "health")
	if code != 0 {
		t.Fatalf("the daemon does not answer after SIGHUP: exit %d: %s", code, errs)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("epu provisioner after SIGTERM: %v; stderr:\n%s", err, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("epu provisioner did not exit within 30s of SIGTERM")
	}
	log, err := os.ReadFile(filepath.Join(state, "provisioner.log"))
	if err != nil {
		t.Fatal(err)
	}
	last := strings.TrimSpace(string(log))
	last = last[strings.LastIndexByte(last, '\n')+1:]
	var ev map[string]any
	if err := json.Unmarshal([]byte(last), &ev); err != nil || ev["event"] != "daemon_stop" || ev["error"] != nil {
		t.Errorf("the log's last line is not a clean daemon_stop: %s", last)
	}
}

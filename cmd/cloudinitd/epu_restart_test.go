package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
)

// programController is a controller run by the epu program (its
// runDaemonCommand, as 'epu controller --config FILE'), which a test can
// restart.
type programController struct {
	e      *e2e
	conf   string
	url    string
	cancel context.CancelFunc
	done   chan int
}

// startProgramController runs the controller of conf through the program
// until the test ends and makes e.admin its client.
func (e *e2e) startProgramController(conf string) *programController {
	e.t.Helper()
	c := &programController{e: e, conf: conf}
	c.start()
	e.stops = append(e.stops, c.stop)
	return c
}

// start runs the program and waits for the api_url it writes.
func (c *programController) start() {
	c.e.t.Helper()
	c.startIn(filepath.Join(c.e.dir, "ctl"))
	c.e.useController(c.url)
}

// startIn runs the program, whose state directory is state, and waits for
// the api_url it writes.
func (c *programController) startIn(state string) {
	t := c.e.t
	t.Helper()
	urlFile := filepath.Join(state, "api_url")
	os.Remove(urlFile) // as run.sh does before a start: the new one says the daemon serves
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel, c.done = cancel, make(chan int, 1)
	go func() {
		code, _, errs := epuRunner(nil)(ctx, "controller", "--config", c.conf, "--log", filepath.Join(c.e.dir, "controller.log"))
		if code != 0 {
			t.Errorf("epu controller: exit %d: %s", code, errs)
		}
		c.done <- code
	}()
	waitFor(t, 30*time.Second, "the controller's api_url", func() bool {
		select {
		case code := <-c.done:
			c.cancel = nil
			t.Fatalf("epu controller exited %d before serving", code)
		default:
		}
		b, err := os.ReadFile(urlFile)
		c.url = strings.TrimSpace(string(b))
		return err == nil && c.url != ""
	})
}

// stop drains the controller as its SIGTERM does; a second stop is a
// no-op.
func (c *programController) stop() {
	if c.cancel == nil {
		return
	}
	c.cancel()
	<-c.done
	c.cancel = nil
}

// TestControllerRestartKeepsWorkersLocal: a controller listening on port 0
// that is stopped and started again (the program on the same
// configuration and state directory) keeps its address, so its workers'
// agents, which heartbeat to the URL they were given at launch
// (heartbeat_dest) and cannot learn another, reach the new controller:
// each worker is heard by it and stays OK past the missing timeout, and
// none is replaced (checked against the driver's live instances). Before
// the fix the restarted controller listened on a new port, heard nothing
// and turned every worker MISSING (only stop-loss kept them from being
// replaced).
func TestControllerRestartKeepsWorkersLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("boots local-driver workers")
	}
	const missing = 5 * time.Second // ten heartbeat periods: room for a loaded machine
	e := startE2EProvisioner(t)
	c := e.startProgramController(e.controllerConf([]map[string]any{{"name": "keep", "deployable_type": "worker",
		"engine": "npreserving", "max_size": 4, "monitor_health": true, "health_boot_timeout": "120s",
		"health_missing_timeout": missing.String(), "engine_conf": map[string]any{"preserve_n": 2}}}))
	waitFor(t, 3*time.Minute, "2 workers running and heard", func() bool {
		return len(e.running("keep")) == 2 && len(e.live()) == 2
	})
	liveIDs := func() []string {
		var ids []string
		for _, in := range e.live() {
			ids = append(ids, in.ID)
		}
		slices.Sort(ids)
		return ids
	}
	before, firstURL := liveIDs(), c.url

	c.stop()
	restarted := time.Now()
	c.start()
	// Every worker heard by the restarted controller after the missing
	// timeout ran out since its start, OK all along, the same instances.
	heardAfter := restarted.Add(missing).Unix()
	deadline := time.Now().Add(time.Minute)
	for {
		ws, err := e.admin.WholeState(context.Background(), "keep")
		if err != nil {
			t.Fatalf("whole_state of the restarted controller (%s, was %s): %v", c.url, firstURL, err)
		}
		heard := 0
		for id, in := range ws.Instances {
			if in.IaaSState != epu.Running {
				continue
			}
			if in.HeartbeatState != epu.HealthOK {
				t.Fatalf("worker %s turned %s after the controller's restart (%s, was %s; last heard %d)",
					id, in.HeartbeatState, c.url, firstURL, in.HeartbeatTime)
			}
			if in.HeartbeatTime > heardAfter {
				heard++
			}
		}
		if now := liveIDs(); !slices.Equal(now, before) {
			t.Fatalf("the live instances changed after the controller's restart: %v, were %v", now, before)
		}
		if heard == len(before) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d workers heard by the restarted controller (%s, was %s) more than %v after its start",
				heard, len(before), c.url, firstURL, missing)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if c.url != firstURL {
		t.Errorf("the restarted controller serves %s, the first start %s", c.url, firstURL)
	}
}

// TestEpuControllerListenMoved: a controller whose previous address is
// taken at its restart listens on another free port, serves it (api_url)
// and logs listen_moved with both addresses.
func TestEpuControllerListenMoved(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	conf := filepath.Join(dir, "controller.json")
	writeFile(t, conf, `{"service": "c", "run_secret": "x", "state_dir": "`+state+`", "listen": "127.0.0.1:0",
 "provisioner": {"service": "provisioner", "url": "http://127.0.0.1:1"},
 "domains": [{"name": "d", "deployable_type": "w", "engine": "npreserving", "max_size": 1, "engine_conf": {"preserve_n": 0}}]}`, 0o600)
	run := func() string {
		t.Helper()
		c := &programController{e: &e2e{t: t, dir: dir}, conf: conf}
		c.startIn(state)
		c.stop()
		return strings.TrimPrefix(c.url, "http://")
	}
	first := run()
	held, err := net.Listen("tcp", first)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	second := run()
	if second == first {
		t.Fatalf("the restart serves %s, which another socket holds", second)
	}
	b, err := os.ReadFile(filepath.Join(dir, "controller.log"))
	if err != nil {
		t.Fatal(err)
	}
	var moved []map[string]any
	for _, l := range strings.Split(string(b), "\n") {
		var ev map[string]any
		if json.Unmarshal([]byte(l), &ev) == nil && ev["event"] == "listen_moved" {
			moved = append(moved, ev)
		}
	}
	if len(moved) != 1 || moved[0]["listen"] != second || moved[0]["level"] != "WARN" ||
		!strings.Contains(fmt.Sprint(moved[0]["reason"]), "the address of the previous start, "+first+", is taken") {
		t.Errorf("listen_moved events %v, want one WARN from %s (taken) to %s; log:\n%s", moved, first, second, b)
	}
}

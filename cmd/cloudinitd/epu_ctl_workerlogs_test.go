package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cloudinitd/cloudinitd/epu"
)

// checkCtlWorkerLogs: 'epu ctl worker-logs' on a provisioner whose
// workers run (TestCtlProvisioner's, on the fake driver). The provisioner
// fetches over SSH; the fake driver's workers have no SSH server, so the
// failure comes back naming the node and the step, and nothing is written
// on stdout; an unknown node exits 1 naming it. (The tar of a real
// worker: epu/workerctx's TestProvisionerContextualizes; through epumgmt:
// cmd/epumgmt's epu_lifecycle.)
func checkCtlWorkerLogs(ctx context.Context, t *testing.T, epuRun func(ctx context.Context, args ...string) (int, string, string)) {
	t.Helper()
	_, out, _ := epuRun(ctx, "ctl", "nodes")
	var running struct{ Nodes []epu.Node }
	if err := json.Unmarshal([]byte(out), &running); err != nil || len(running.Nodes) == 0 {
		t.Fatalf("ctl nodes: %v %q", err, out)
	}
	id := running.Nodes[0].NodeID
	code, out, errs := epuRun(ctx, "ctl", "worker-logs", id)
	if code != 1 || out != "" || !strings.Contains(errs, `node "`+id+`": fetch its logs: connect: `) {
		t.Errorf("ctl worker-logs of a worker without SSH: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, _, errs = epuRun(ctx, "ctl", "worker-logs", "n-nope")
	if code != 1 || !strings.Contains(errs, `unknown node "n-nope"`) {
		t.Errorf("ctl worker-logs of an unknown node: exit %d, stderr %q", code, errs)
	}
}

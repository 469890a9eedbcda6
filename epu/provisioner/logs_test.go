package provisioner

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/iaas"
)

// fakeLogFetcher is a test contextualizer that fetches logs: a tar of one
// file naming the instance it was given (its running state checked).
type fakeLogFetcher struct{ DryRunContextualizer }

func (fakeLogFetcher) FetchLogs(_ context.Context, n epu.Node, inst iaas.Instance, _ DeployableType, w io.Writer) error {
	tw := tar.NewWriter(w)
	body := n.NodeID + " on " + inst.ID + " " + inst.State.String()
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "worker.log", Size: int64(len(body)), Mode: 0o600}); err != nil {
		return err
	}
	if _, err := io.WriteString(tw, body); err != nil {
		return err
	}
	return tw.Close()
}

// TestWorkerLogs: GET /v1/nodes/{id}/logs answers the tar the
// contextualizer fetched from the node's running instance (as the driver
// describes it); an unknown node is a 404 naming it, a terminated one a
// 409, a contextualizer that cannot fetch logs a 503.
func TestWorkerLogs(t *testing.T) {
	h := newHarness(t, nil)
	h.ctxz = fakeLogFetcher{}
	h.start()
	h.toRunning("l-1", "n-1", "n-2")
	ctx := context.Background()
	b, err := h.client.WorkerLogs(ctx, "n-1")
	if err != nil {
		t.Fatalf("worker logs of n-1: %v", err)
	}
	tr := tar.NewReader(bytes.NewReader(b))
	hdr, err := tr.Next()
	if err != nil {
		t.Fatalf("read the tar: %v", err)
	}
	body, _ := io.ReadAll(tr)
	want := "n-1 on " + h.node("n-1").IaaSID + " " + iaas.StateRunning.String()
	if hdr.Name != "worker.log" || string(body) != want {
		t.Errorf("tar holds %s %q, want worker.log %q", hdr.Name, body, want)
	}
	// The answer is a tar for the client and a JSON error otherwise.
	resp, err := http.Get(h.client.API.BaseURL + "/v1/nodes/n-1/logs")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without the token: %d, want 401", resp.StatusCode)
	}
	if _, err := h.client.WorkerLogs(ctx, "n-nope"); !api.IsStatus(err, http.StatusNotFound) || !strings.Contains(err.Error(), `"n-nope"`) {
		t.Errorf("unknown node: %v, want a 404 naming it", err)
	}
	if _, err := h.client.TerminateNodes(ctx, "n-2"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("n-2 terminated", func() bool { return !h.node("n-2").State.Before(epu.Terminating) })
	if _, err := h.client.WorkerLogs(ctx, "n-2"); !api.IsStatus(err, http.StatusConflict) || !strings.Contains(err.Error(), `"n-2"`) {
		t.Errorf("terminated node: %v, want a 409 naming it", err)
	}
	h.stop()
	h.ctxz = DryRunContextualizer{}
	h.start()
	if _, err := h.client.WorkerLogs(ctx, "n-1"); !api.IsStatus(err, http.StatusServiceUnavailable) {
		t.Errorf("without a log fetcher: %v, want a 503", err)
	}
}

package provisioner

import (
	"bytes"
	"net/http"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
)

// routes is the API (docs/epu-api.md, "Provisioner"); every call needs
// the admin token api.ServiceToken(run_secret, service).
func (p *Provisioner) routes() http.Handler {
	auth := api.NewAuthenticator(p.token)
	mux := http.NewServeMux()
	h := func(pattern string, f func(r *http.Request) (any, error)) {
		mux.Handle(pattern, auth.Admin(api.Handle(f)))
	}
	h("POST /v1/provision", func(r *http.Request) (any, error) {
		var req epu.ProvisionRequest
		if err := api.Decode(r, &req); err != nil {
			return nil, err
		}
		return p.Provision(r.Context(), req)
	})
	h("POST /v1/terminate_nodes", func(r *http.Request) (any, error) {
		var req epu.NodeIDs
		if err := api.Decode(r, &req); err != nil {
			return nil, err
		}
		if len(req.NodeIDs) == 0 {
			return nil, api.BadField("node_ids", "required: at least one node id")
		}
		nodes, err := p.TerminateNodes(r.Context(), req.NodeIDs)
		return map[string]any{"nodes": nodes}, err
	})
	h("POST /v1/terminate_launches", func(r *http.Request) (any, error) {
		var req epu.LaunchIDs
		if err := api.Decode(r, &req); err != nil {
			return nil, err
		}
		if len(req.LaunchIDs) == 0 {
			return nil, api.BadField("launch_ids", "required: at least one launch id")
		}
		launches, err := p.TerminateLaunches(r.Context(), req.LaunchIDs)
		return map[string]any{"launches": launches}, err
	})
	h("POST /v1/terminate_all", func(r *http.Request) (any, error) {
		if err := decodeEmpty(r); err != nil {
			return nil, err
		}
		return p.TerminateAll(r.Context())
	})
	h("POST /v1/enable", func(r *http.Request) (any, error) {
		if err := decodeEmpty(r); err != nil {
			return nil, err
		}
		return map[string]bool{"disabled": false}, p.Enable(r.Context())
	})
	h("POST /v1/dump_state", func(r *http.Request) (any, error) {
		var req epu.DumpStateRequest
		if err := api.Decode(r, &req); err != nil {
			return nil, err
		}
		return p.DumpState(r.Context(), req)
	})
	h("GET /v1/nodes", func(r *http.Request) (any, error) {
		nodes, err := p.DescribeNodes(r.Context(), r.URL.Query()["node_id"])
		return map[string]any{"nodes": nodes}, err
	})
	mux.Handle("GET /v1/nodes/{id}/logs", auth.Admin(http.HandlerFunc(p.serveWorkerLogs)))
	h("GET /v1/health", func(r *http.Request) (any, error) { return p.Health(r.Context()) })
	h("GET /v1/state", func(r *http.Request) (any, error) { return p.Dump(r.Context()) })
	return mux
}

// decodeEmpty accepts an empty body or an empty JSON object.
func decodeEmpty(r *http.Request) error {
	if r.ContentLength == 0 {
		return nil
	}
	var none struct{}
	return api.Decode(r, &none)
}

// serveWorkerLogs answers a worker's logs as a tar stream
// (application/x-tar), or an error in the API's shape: the tar is made
// whole before the answer begins, so a failure is never a truncated tar.
func (p *Provisioner) serveWorkerLogs(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := checkID("node_id", id); err != nil {
		api.WriteError(w, err)
		return
	}
	var buf bytes.Buffer
	if err := p.WorkerLogs(r.Context(), id, &buf); err != nil {
		api.WriteError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-tar")
	w.WriteHeader(http.StatusOK)
	_, _ = buf.WriteTo(w)
}

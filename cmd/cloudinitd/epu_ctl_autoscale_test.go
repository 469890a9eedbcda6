package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/epu/api"
)

// TestCtlAutoscale: no count asks the arrays (GET), a count sets a target
// (POST, the default array "execute" unless name=), bad arguments are usage errors
// before any call.
func TestCtlAutoscale(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body strings.Builder
		if r.Body != nil {
			b := make([]byte, 512)
			n, _ := r.Body.Read(b)
			body.Write(b[:n])
		}
		got = append(got, r.Method+" "+r.URL.Path+" "+strings.TrimSpace(body.String()))
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"arrays":[]}`))
	}))
	defer srv.Close()
	tgt := ctlTarget{client: &api.Client{BaseURL: srv.URL, Token: "t", HTTP: srv.Client()}}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"d"}, "GET /v1/domains/d/autoscale "},
		{[]string{"d", "instancecount=3"}, `POST /v1/domains/d/autoscale {"arrays":[{"Name":"execute","TargetCount":3}]}`},
		{[]string{"d", "corecount=8", "name=big"}, `POST /v1/domains/d/autoscale {"arrays":[{"Name":"big","TargetCoreCount":8}]}`},
	} {
		got = nil
		if _, err := ctlAutoscale(context.Background(), tgt, tc.args); err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		if len(got) != 1 || !strings.HasPrefix(got[0], strings.SplitN(tc.want, " {", 2)[0]) {
			t.Errorf("%q: calls %q, want %q", tc.args, got, tc.want)
		}
		if i := strings.Index(tc.want, "{"); i >= 0 {
			if diff := cmp.Diff(tc.want[i:], got[0][strings.Index(got[0], "{"):]); diff != "" {
				t.Errorf("%q: body (-want +got):\n%s", tc.args, diff)
			}
		}
	}
	for _, bad := range [][]string{{"d", "instancecount=-1"}, {"d", "instancecount=3", "corecount=2"}, {"d", "name=x"},
		{"d", "frob=1"}, {"d", "three"}} {
		got = nil
		_, err := ctlAutoscale(context.Background(), tgt, bad)
		var ue *cl.UsageError
		if !errors.As(err, &ue) || len(got) != 0 {
			t.Errorf("%q: err %v, calls %q; want a usage error and no call", bad, err, got)
		}
	}
}

package mgmt

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// TestAutoscale: the domain's arrays as they are, or after a target set
// through the controller's autoscale call.
func TestAutoscale(t *testing.T) {
	dir := t.TempDir()
	twoControllers(t, dir)
	var calls []string
	var mu sync.Mutex
	base := twoDomains(&calls, &mu)
	ch := &fakeChannel{answer: func(svc Service, args []string) (any, error) {
		if args[0] == "autoscale" {
			mu.Lock()
			calls = append(calls, svc.Name+" "+strings.Join(args, " "))
			mu.Unlock()
			return engine.AutoscaleStatus{Arrays: []engine.ArrayStatus{{Name: "default", Cores: 2, Target: 4}}}, nil
		}
		return base(svc, args)
	}}
	m, out, _ := testManager(t, dir, ch, nil)
	four := 4
	for _, tc := range []struct {
		o    Options
		call string
	}{
		{Options{Controller: "only"}, "epu-solo autoscale only"},
		{Options{Controller: "pool/d2", InstanceCount: &four, Array: "big"}, "pool autoscale d2 instancecount=4 name=big"},
		{Options{Controller: "epu-solo", CoreCount: &four}, "epu-solo autoscale only corecount=4"},
	} {
		calls = nil
		out.Reset()
		tc.o.Action, tc.o.Run = ActionAutoscale, "r1"
		if err := m.Do(context.Background(), tc.o); err != nil {
			t.Fatal(err)
		}
		if !containsCall(calls, tc.call) {
			t.Errorf("calls %q, want %q", calls, tc.call)
		}
		if !strings.Contains(out.String(), "default") || !strings.Contains(out.String(), "4") {
			t.Errorf("output:\n%s", out)
		}
	}
}

package bootlevel

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// TestSweepStartedByDriverFails: a service whose driver cannot be opened
// is not skipped in silence: the sweep goes on with the other clouds and
// its error names the service and why (was: nil, as if the cloud had
// been swept).
func TestSweepStartedByDriverFails(t *testing.T) {
	h := newHarness(t, map[string]string{
		"top.conf":    "[defaults]\nimage: img\n[runlevels]\nlevel1: level1.conf\n",
		"level1.conf": "[svc-a]\niaas: fake\n[svc-b]\niaas: elsewhere\n",
	})
	refused := errors.New("no driver for elsewhere")
	h.eng.Drivers = func(sel iaas.Selector) (iaas.Driver, error) {
		if sel.Value == "elsewhere" {
			return nil, refused
		}
		return h.count, nil
	}
	swept, err := h.eng.SweepStartedBy(testCtx(t), "run", time.Now(), nil)
	if len(swept) != 0 {
		t.Errorf("swept %v, want nothing", swept)
	}
	if !errors.Is(err, refused) || !strings.Contains(err.Error(), `service "b"`) || strings.Contains(err.Error(), `service "a"`) {
		t.Errorf("SweepStartedBy: %v; want the error of service b's driver only", err)
	}
}

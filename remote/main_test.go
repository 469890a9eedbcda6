package remote_test

import (
	"os"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas/local"
)

// TestMain lets this test binary serve iaas/local instances: the local
// driver re-executes its executable to run one, and the remote tests run
// against that server too.
func TestMain(m *testing.M) {
	if code, ok := local.MaybeServe(); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

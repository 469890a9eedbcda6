package workerctx

import (
	"os"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas/local"
)

func TestMain(m *testing.M) {
	// Local-driver instances re-execute this binary.
	if code, ok := local.MaybeServe(); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

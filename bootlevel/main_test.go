package bootlevel

import (
	"os"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas/local"
)

func TestMain(m *testing.M) {
	// The local driver's instances re-execute this binary.
	if code, ok := local.MaybeServe(); ok {
		os.Exit(code)
	}
	// A race-enabled binary sleeps a second at exit; the spawner (this
	// binary re-executed) need not.
	if _, set := os.LookupEnv("GORACE"); !set {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	os.Exit(m.Run())
}

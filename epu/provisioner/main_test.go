package provisioner

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"testing"
)

// childEnv names the configuration file of a provisioner this test binary
// runs as a child process (the kill test's): TestMain then runs it
// instead of the tests.
const childEnv = "EPU_PROVISIONER_TEST_CHILD_CONFIG"

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		if err := runChild(path); err != nil {
			fmt.Fprintln(os.Stderr, "provisioner child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runChild is a provisioner program as `epu provisioner` runs it, on the
// fake driver with dry-run contextualization: until SIGTERM (or SIGKILL).
func runChild(path string) error {
	cfg, err := LoadConfig(path)
	if err != nil {
		return err
	}
	p, err := New(cfg, Deps{Registry: testRegistry(), Contextualizer: DryRunContextualizer{},
		Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil))})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		p.Close()
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	return p.Run(ctx, ln)
}

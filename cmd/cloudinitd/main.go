package main

import (
	"context"
	"os"

	"github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/iaas/local"
)

func main() {
	// The local driver's instances are this binary re-executed: serve one
	// and exit when that is what this process is for.
	if code, ok := local.MaybeServe(); ok {
		os.Exit(code)
	}
	env := cli.ProcessEnv()
	ctx, stop := cli.SignalContext(context.Background(), env.Streams.Err, progName,
		"stopping gracefully")
	code := Main(ctx, os.Args[1:], env)
	stop()
	os.Exit(code)
}

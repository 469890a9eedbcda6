package main

import (
	"context"
	"os"
	"path/filepath"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/iaas/local"
)

func main() {
	os.Exit(run())
}

// run is the whole process: main, and the binary the script tests run.
func run() int {
	// Local-driver instances this process terminates may re-execute it.
	if code, ok := local.MaybeServe(); ok {
		return code
	}
	env := cl.ProcessEnv()
	env.Prog = filepath.Base(os.Args[0])
	ctx, stop := cl.SignalContext(context.Background(), env.Streams.Err, env.Prog, "stopping", env.Signals)
	defer stop()
	return Main(ctx, os.Args[1:], env)
}

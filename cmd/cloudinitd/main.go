package main

import (
	"context"
	"io"
	"os"
	"path/filepath"

	"github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/iaas/local"
)

func main() {
	os.Exit(run())
}

// run is the whole process: main, and the binary the script tests run.
func run() int {
	// The local driver's instances are this binary re-executed: serve one
	// and exit when that is what this process is for.
	if code, ok := local.MaybeServe(); ok {
		return code
	}
	env := cli.ProcessEnv()
	env.Prog = filepath.Base(os.Args[0])
	// The epu program is another name of this binary (epu.go).
	if args, ok := epuArgs(env.Prog, os.Args[1:]); ok {
		return epuProcess(args, env)
	}
	errw := io.MultiWriter(cli.InvokedAs(env.Streams.Err, env.Prog), env.Transcript)
	ctx, stop := cli.SignalContext(context.Background(), errw, env.Prog,
		"stopping gracefully", env.Signals)
	defer stop()
	return Main(ctx, os.Args[1:], env)
}

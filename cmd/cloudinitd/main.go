package main

import (
	"context"
	"os"

	"github.com/cloudinitd/cloudinitd/cmd/internal/cli"
)

func main() {
	env := cli.ProcessEnv()
	ctx, stop := cli.SignalContext(context.Background(), env.Streams.Err, progName,
		"stopping gracefully")
	code := Main(ctx, os.Args[1:], env)
	stop()
	os.Exit(code)
}

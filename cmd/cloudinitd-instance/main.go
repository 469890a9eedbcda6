package main

import (
	"fmt"
	"os"

	"github.com/cloudinitd/cloudinitd/iaas/local"
)

func main() {
	if code, ok := local.MaybeServe(); ok {
		os.Exit(code)
	}
	fmt.Fprintf(os.Stderr, "%s: the local driver's instance server, which cloudinitd starts; not a command to run by hand\n", local.ServerProgram)
	os.Exit(2)
}

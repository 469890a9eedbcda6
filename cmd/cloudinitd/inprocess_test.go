package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/remote"
)

// inProcess returns a function that runs the CLI in this process (Main)
// with records in db and programs staged under work (REMOTE_WORKING_DIR_ENV),
// empty stdin and a fresh home; it returns the exit code, stdout and stderr.
func inProcess(t *testing.T, db, work string) func(args ...string) (int, string, string) {
	return func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		env := cl.Env{
			Streams: cl.IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb},
			LookupEnv: func(k string) (string, bool) {
				if k == remote.WorkDirEnv {
					return work, true
				}
				return "", false
			},
			HomeDir: t.TempDir(),
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		code := Main(ctx, append(args, "-d", db), env)
		return code, out.String(), errb.String()
	}
}

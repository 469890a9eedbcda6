package main

import (
	"context"
	"io"
	"os"

	"golang.org/x/term"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/remote"
)

// terminalFD returns the file descriptor of r when r is a terminal.
func terminalFD(r io.Reader) (int, bool) {
	f, ok := r.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	return int(f.Fd()), true
}

// runOnTerminal runs cmd on a terminal of the host, with the local
// terminal fd in raw mode (so keys, Ctrl-C included, go to the remote
// shell) and restored afterwards; the remote terminal gets the local
// size and TERM.
func runOnTerminal(ctx context.Context, ex remote.Executor, cmd remote.Cmd, fd int, env cl.Env) (remote.Result, error) {
	t := &remote.TTY{}
	if env.LookupEnv != nil {
		t.Term, _ = env.LookupEnv("TERM")
	}
	if w, h, err := term.GetSize(fd); err == nil {
		t.Width, t.Height = w, h
	}
	old, err := term.MakeRaw(fd)
	if err != nil {
		return remote.Result{ExitStatus: -1}, err
	}
	defer term.Restore(fd, old)
	cmd.TTY = t
	return ex.Run(ctx, cmd)
}

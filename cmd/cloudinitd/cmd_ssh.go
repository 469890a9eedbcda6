package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/remote"
)

func sshCommand(env cl.Env) *cli.Command {
	return &cli.Command{
		Name: "ssh",
		Usage: "Run COMMAND (or a shell) on a service's host as its programs ran there: the recorded user, key " +
			"and host key, in the service's stage directory. Exits with COMMAND's status.",
		UsageText: "cloudinitd ssh RUN SERVICE [-g KEY=VALUE]... [-- COMMAND [ARGS...]]",
		Action: func(c *cli.Context) error {
			args := c.Args().Slice()
			var argv []string
			if i := slices.Index(args, "--"); i >= 0 {
				args, argv = args[:i], args[i+1:]
				if len(argv) == 0 {
					return cl.Usagef("the ssh command: -- must be followed by a command")
				}
			}
			if len(args) != 2 {
				return cl.Usagef("the ssh command requires a run and a service: cloudinitd ssh RUN SERVICE [-- COMMAND [ARGS...]]")
			}
			o, err := optionsFrom(c, env)
			if err != nil {
				return err
			}
			return runSSH(c.Context, o, env, args[0], args[1], argv)
		},
	}
}

// runSSH runs argv (a login shell's interactive shell without it) on the
// host of svc, with this process's standard streams. It only reads the
// record (no lock: a boot or a status may run beside it); a host whose key
// was never recorded is refused, since recording it would need the lock.
// The shell gets a terminal of the host when stdin is one here and the host
// offers terminals (sshd does, the local driver's server does not); else
// it runs in line mode.
func runSSH(ctx context.Context, o options, env cl.Env, run, svc string, argv []string) error {
	db, err := openRunReadOnly(ctx, o, run)
	if err != nil {
		return err
	}
	defer db.Close()
	shell := len(argv) == 0
	if shell {
		argv = []string{"/bin/sh", "-c", `exec "${SHELL:-/bin/sh}" -i`}
	}
	o.Verbosity = 0 // no progress view around someone else's terminal session
	var res remote.Result
	runErr := withEngine(o, env, db, false, "ssh", func(e *bootlevel.Engine) error {
		ex, stage, err := e.Host(ctx, svc)
		if err != nil {
			return err
		}
		defer ex.Close()
		// In the stage directory, or the login directory when the service
		// never ran a program there.
		cmd := remote.Cmd{Argv: append([]string{"/bin/sh", "-c", `cd "$1" 2>/dev/null; shift; exec "$@"`, "sh", stage}, argv...),
			Stdin: env.Streams.In, Stdout: env.Streams.Out, Stderr: env.Streams.Err}
		if shell {
			if fd, ok := terminalFD(env.Streams.In); ok {
				res, err = runOnTerminal(ctx, ex, cmd, fd, env)
				if !errors.Is(err, remote.ErrNoTTY) {
					return err
				}
				fmt.Fprintf(env.Streams.Err, "%v: the shell runs in line mode\n", err)
			}
			// No terminal: the shell reads lines, and its output reaches
			// us line by line, so its prompt ends with a newline to be
			// seen at once.
			cmd.Env = map[string]string{"PS1": run + "/" + svc + " $ \n"}
		}
		res, err = ex.Run(ctx, cmd)
		return err
	})
	var xe *remote.ExitError
	if errors.As(runErr, &xe) {
		return &cl.StatusError{Code: res.ExitStatus, Err: fmt.Errorf("run %s: service %q: %w", run, svc, runErr)}
	}
	if runErr != nil {
		return explain(runErr, run)
	}
	return nil
}

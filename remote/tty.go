package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"

	"golang.org/x/crypto/ssh"
)

// runTTY runs cmd in an exec session of its own on a pseudo-terminal (see
// Cmd.TTY). A deadline hangs the session up (SIGHUP, as a closed terminal
// does) and closes it.
func (s *SSH) runTTY(ctx context.Context, cl *ssh.Client, cmd Cmd, agent bool) (Result, error) {
	fail := Result{ExitStatus: -1}
	sess, err := cl.NewSession()
	if err != nil {
		return fail, fmt.Errorf("ssh session on %s: %w", s.Host(), err)
	}
	defer sess.Close()
	if agent {
		if err := s.conn.requestForwarding(cl, sess); err != nil {
			return fail, fmt.Errorf("agent forwarding on %s: %w", s.Host(), err)
		}
	}
	t := *cmd.TTY
	if t.Term == "" {
		t.Term = "xterm"
	}
	if t.Width <= 0 || t.Height <= 0 {
		t.Width, t.Height = 80, 24
	}
	modes := ssh.TerminalModes{ssh.ECHO: 1, ssh.TTY_OP_ISPEED: 38400, ssh.TTY_OP_OSPEED: 38400}
	if err := sess.RequestPty(t.Term, t.Height, t.Width, modes); err != nil {
		return fail, fmt.Errorf("%w: %s refused a pseudo-terminal: %w", ErrNoTTY, s.Host(), err)
	}
	sess.Stdin, sess.Stdout, sess.Stderr = cmd.Stdin, orDiscard(cmd.Stdout), orDiscard(cmd.Stderr)
	if err := sess.Start("exec /bin/sh -c " + Quote(cmdBody(cmd))); err != nil {
		return fail, fmt.Errorf("ssh exec on %s: %w", s.Host(), err)
	}
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = sess.Signal(ssh.SIGHUP)
		_ = sess.Close()
		<-done
		return fail, deadlineError(ctx, s.Host(), cmd.Argv, true)
	}
	var ee *ssh.ExitError
	switch {
	case err == nil:
		return Result{}, nil
	case errors.As(err, &ee):
		return Result{ExitStatus: ee.ExitStatus()}, &ExitError{Host: s.Host(), Cmd: cmd.Argv, Status: ee.ExitStatus(), Signal: ee.Signal()}
	default:
		return fail, fmt.Errorf("%s on %s: connection lost: %w", path.Base(cmd.Argv[0]), s.Host(), err)
	}
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

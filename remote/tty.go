package remote

import (
	"context"
	"fmt"
	"io"

	"golang.org/x/crypto/ssh"
)

// runTTY runs cmd in an exec session of its own on a pseudo-terminal (see
// Cmd.TTY). A deadline hangs the session up (SIGHUP, as a closed terminal
// does) and closes it.
func (s *SSH) runTTY(ctx context.Context, cl *ssh.Client, cmd Cmd, agent bool) (Result, error) {
	fail := Result{ExitStatus: -1}
	sess, err := s.session(cl, agent)
	if err != nil {
		return fail, err
	}
	defer sess.Close()
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
	status, err := s.exitError(cmd, err, nil)
	return Result{ExitStatus: status}, err
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

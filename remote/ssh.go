package remote

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sync/atomic"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// SSH is an Executor on a remote host, sharing its Pool's connection.
type SSH struct {
	conn   *conn
	closed atomic.Bool
}

var _ Executor = (*SSH)(nil)

// MaxFetch bounds the size of a fetched file.
const MaxFetch = 16 << 20

// exitMissing is the status with which Fetch's shell reports a missing file.
const exitMissing = 44

// Host returns user@host:port.
func (s *SSH) Host() string { return s.conn.key }

// Close releases the executor's reference to the pooled connection.
func (s *SSH) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.conn.pool.release(s.conn)
	return nil
}

// Prepare creates the working and stage directories (see
// Executor.Prepare) in the connection's persistent shell, which can check
// who owns them (SFTP cannot tell whose a file is). When the server
// offers SFTP and the path is absolute, the shell, once it has found the
// working directory safe, leaves a missing stage directory to SFTP (made
// there, no process on the host: sftpMakeStage) and the mode of an
// existing one too (chmod 0700 over SFTP); else it does both itself.
// Over SFTP, the stage directory is then known private for the rest of
// the session, and uploads into it take the shorter way
// (sftpUploadPrivate).
func (s *SSH) Prepare(ctx context.Context, stageDir string) error {
	var sc *sftp.Client // the session at hand; nil: no SFTP
	if path.IsAbs(stageDir) {
		ok, err := s.withSFTP(ctx, func(c *sftp.Client) error { sc = c; return nil })
		if ok && err != nil {
			return fmt.Errorf("prepare %s: %w", stageDir, err)
		}
	}
	if sc == nil {
		if _, err := prepareShell(ctx, s, stageDir, "chmod"); err != nil {
			return fmt.Errorf("prepare %s: %w", stageDir, err)
		}
		return nil
	}
	said, err := prepareShell(ctx, s, stageDir, "sftp")
	if err != nil {
		return fmt.Errorf("prepare %s: %w", stageDir, err)
	}
	if said == stageAbsent {
		made := false
		ok, err := s.withSFTP(ctx, func(c *sftp.Client) (err error) { sc = c; made, err = sftpMakeStage(c, stageDir); return err })
		if ok && err != nil {
			return fmt.Errorf("prepare %s: %w", stageDir, err)
		}
		if ok && made {
			s.conn.markPrivate(sc, stageDir)
			return nil
		}
		// It exists now, or the SFTP session went away: the shell makes
		// or checks it, as without the absent word.
		if said, err = prepareShell(ctx, s, stageDir, ""); err != nil {
			return fmt.Errorf("prepare %s: %w", stageDir, err)
		}
	}
	if said != stageMade {
		ok, err := s.withSFTP(ctx, func(c *sftp.Client) error { sc = c; return c.Chmod(stageDir, stageDirMode) })
		var xe *ExitError
		if !ok { // the session went away meanwhile and the server offers none now
			_, err = s.Run(ctx, Cmd{Argv: []string{"chmod", "700", "--", stageDir}})
		}
		if (ok && err != nil && fileError(err)) || errors.As(err, &xe) {
			err = fmt.Errorf("%w: cannot set mode 0700 on the stage directory %s: %w", ErrWorkDir, stageDir, err)
		}
		if err != nil {
			return fmt.Errorf("prepare %s: %w", stageDir, err)
		}
		if !ok {
			return nil
		}
	}
	s.conn.markPrivate(sc, stageDir)
	return nil
}

// Upload writes data to a temporary name, sets mode and renames it to dst:
// over SFTP when the server offers it and dst is absolute, else through
// `cat` in a shell with umask 077 (see shellUpload).
func (s *SSH) Upload(ctx context.Context, dst string, data io.Reader, mode fs.FileMode) error {
	if path.IsAbs(dst) {
		ok, err := s.withSFTP(ctx, func(sc *sftp.Client) error {
			if s.conn.isPrivate(sc, path.Dir(dst)) {
				return sftpUploadPrivate(sc, dst, ctxReader{ctx, data}, mode)
			}
			return sftpUpload(sc, dst, ctxReader{ctx, data}, mode)
		})
		if ok {
			if err != nil {
				return fmt.Errorf("upload %s: %w", dst, err)
			}
			return nil
		}
	}
	if err := s.shellUpload(ctx, dst, data, mode); err != nil {
		return fmt.Errorf("upload %s: %w", dst, err)
	}
	return nil
}

// Fetch returns the content of p: over SFTP when the server offers it and p
// is absolute, else through `cat`.
func (s *SSH) Fetch(ctx context.Context, p string) ([]byte, error) {
	if path.IsAbs(p) {
		var data []byte
		ok, err := s.withSFTP(ctx, func(sc *sftp.Client) (err error) { data, err = sftpFetch(sc, p); return err })
		switch {
		case ok && errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("fetch %s on %s: %w", p, s.Host(), fs.ErrNotExist)
		case ok && err != nil:
			return nil, fmt.Errorf("fetch %s: %w", p, err)
		case ok:
			return data, nil
		}
	}
	script := fmt.Sprintf(`[ -e "$1" ] || exit %d; exec cat -- "$1"`, exitMissing)
	var buf limitedBuffer
	_, err := s.run(ctx, Cmd{Argv: []string{"/bin/sh", "-c", script, "sh", p}}, &buf)
	var xe *ExitError
	switch {
	case errors.As(err, &xe) && xe.Status == exitMissing:
		return nil, fmt.Errorf("fetch %s on %s: %w", p, s.Host(), fs.ErrNotExist)
	case err != nil:
		return nil, fmt.Errorf("fetch %s: %w", p, err)
	}
	return buf.b.Bytes(), nil
}

// Run runs cmd (see Executor.Run) in the connection's persistent shell
// (see shells; a shell with the agent forwarded for ForwardAgent commands
// when an agent is available), or in an exec session of its own when it
// has Stdin or when the host cannot keep a shell.
func (s *SSH) Run(ctx context.Context, cmd Cmd) (Result, error) {
	return s.run(ctx, cmd, nil)
}

// run runs cmd; when raw is set, stdout goes there unsplit instead of to
// cmd.Stdout and the tail.
func (s *SSH) run(ctx context.Context, cmd Cmd, raw io.Writer) (Result, error) {
	fail := Result{ExitStatus: -1}
	if s.closed.Load() {
		return fail, errors.New("ssh: executor closed")
	}
	if len(cmd.Argv) == 0 {
		return fail, errors.New("run: empty command")
	}
	if ctx.Err() != nil {
		return fail, deadlineError(ctx, s.Host(), cmd.Argv, false)
	}
	for k := range cmd.Env {
		if !validEnvName(k) {
			return fail, fmt.Errorf("run: invalid environment variable name %q", k)
		}
	}
	cl, err := s.conn.get(ctx)
	if err != nil {
		return fail, err
	}
	agent := cmd.ForwardAgent && s.conn.forwardAgent(cl)
	if cmd.TTY != nil {
		return s.runTTY(ctx, cl, cmd, agent)
	}
	if raw == nil && cmd.Stdin == nil {
		sh, err := s.conn.acquire(ctx, cl, agent)
		switch {
		case err != nil && ctx.Err() != nil:
			return fail, deadlineError(ctx, s.Host(), cmd.Argv, false)
		case err != nil:
			return fail, fmt.Errorf("%w on %s", err, s.Host())
		case sh != nil:
			return s.runInShell(ctx, cl, sh, cmd)
		}
	}
	sess, err := s.session(cl, agent)
	if err != nil {
		return fail, err
	}
	defer sess.Close()
	var out output
	stdout, stderr := out.stream(cmd.Stdout), out.stream(cmd.Stderr)
	pid := newPidWriter(stderr)
	sess.Stdout, sess.Stderr, sess.Stdin = stdout, pid, cmd.Stdin
	if raw != nil {
		sess.Stdout = raw
	}
	if err := sess.Start(shellLine(cmd)); err != nil {
		return fail, fmt.Errorf("ssh exec on %s: %w", s.Host(), err)
	}
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		s.kill(cl, sess, pid, done)
		return out.finish(stdout, stderr, true), deadlineError(ctx, s.Host(), cmd.Argv, true)
	}
	res := out.finish(stdout, stderr, false)
	res.ExitStatus, err = s.exitError(cmd, err, res.Tail)
	return res, err
}

// session opens an exec session on cl, with the agent forwarded to it
// when agent is set.
func (s *SSH) session(cl *ssh.Client, agent bool) (*ssh.Session, error) {
	sess, err := cl.NewSession()
	if err != nil {
		return nil, fmt.Errorf("ssh session on %s: %w", s.Host(), err)
	}
	if agent {
		if err := s.conn.requestForwarding(cl, sess); err != nil {
			sess.Close()
			return nil, fmt.Errorf("agent forwarding on %s: %w", s.Host(), err)
		}
	}
	return sess, nil
}

// exitError is the outcome of cmd, whose exec session ended with err (from
// Wait): its exit status (-1 when it has none) and nil, an *ExitError with
// tail, or the connection lost.
func (s *SSH) exitError(cmd Cmd, err error, tail []string) (int, error) {
	var ee *ssh.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ee):
		return ee.ExitStatus(), &ExitError{Host: s.Host(), Cmd: cmd.Argv, Status: ee.ExitStatus(), Signal: ee.Signal(), Tail: tail}
	default:
		return -1, fmt.Errorf("%s on %s: connection lost: %w", path.Base(cmd.Argv[0]), s.Host(), err)
	}
}

func randomHex() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ErrTooLarge is the error of a fetch past MaxFetch.
var ErrTooLarge = fmt.Errorf("fetched file larger than %d bytes", MaxFetch)

// ErrNotRegular is the error of a fetch of something that is not a
// regular file (a device, a FIFO, a directory).
var ErrNotRegular = errors.New("not a regular file")

// limitedBuffer is a bytes.Buffer that refuses to grow past MaxFetch.
type limitedBuffer struct{ b bytes.Buffer }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if l.b.Len()+len(p) > MaxFetch {
		return 0, ErrTooLarge
	}
	return l.b.Write(p)
}

package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// markerPrefix starts the end-of-command lines a persistent shell writes;
// a fresh random nonce follows it for every command, so program output
// cannot end a command early.
const markerPrefix = "cloudinitd-end-"

// shell is one persistent /bin/sh session, used by one command at a time.
type shell struct {
	sess   *ssh.Session
	stdin  io.WriteCloser
	stdout *markerReader
	stderr *markerReader
	pid    int  // the shell's pid, which leads its process group
	agent  bool // started with agent forwarding, for ForwardAgent commands
}

// startShell starts `exec /bin/sh` in a new session on cl and learns its
// pid; ctx and limit bound the start. before, if set, runs on the session
// before the start. Whatever the login shell prints while starting is
// discarded.
func startShell(ctx context.Context, cl *ssh.Client, limit time.Duration, before func(*ssh.Session) error) (*shell, error) {
	sess, err := cl.NewSession()
	if err != nil {
		return nil, err
	}
	sh, err := func() (*shell, error) {
		stdin, err := sess.StdinPipe()
		if err != nil {
			return nil, err
		}
		stdout, err := sess.StdoutPipe()
		if err != nil {
			return nil, err
		}
		stderr, err := sess.StderrPipe()
		if err != nil {
			return nil, err
		}
		if before != nil {
			if err := before(sess); err != nil {
				return nil, err
			}
		}
		sctx, cancel := context.WithTimeout(ctx, limit)
		defer cancel()
		stop := context.AfterFunc(sctx, func() { _ = sess.Close() })
		defer stop()
		if err := sess.Start("exec /bin/sh"); err != nil {
			return nil, err
		}
		sh := &shell{sess: sess, stdin: stdin, stdout: &markerReader{r: stdout}, stderr: &markerReader{r: stderr}}
		mark := newMarker()
		line, err := sh.exchange(fmt.Sprintf("printf '%%s%%d\\n' %s \"$$\"; printf '%%s\\n' %[1]s >&2\n", Quote(mark)),
			mark, io.Discard, io.Discard)
		if err != nil {
			return nil, err
		}
		pid, err := strconv.Atoi(line)
		if err != nil || pid <= 1 {
			return nil, fmt.Errorf("shell reported pid %q", line)
		}
		sh.pid = pid
		return sh, nil
	}()
	if err != nil {
		_ = sess.Close()
		return nil, err
	}
	return sh, nil
}

// newMarker returns a fresh end-of-command marker.
func newMarker() string { return markerPrefix + randomHex() + randomHex() + ":" }

// exchange writes script and copies the shell's stdout and stderr to
// outW and errW until mark ends both; it returns what follows mark on
// stdout's marker line.
func (sh *shell) exchange(script, mark string, outW, errW io.Writer) (string, error) {
	if _, err := io.WriteString(sh.stdin, script); err != nil {
		return "", err
	}
	var line string
	var outErr, errErr error
	var wg sync.WaitGroup
	wg.Go(func() { line, outErr = sh.stdout.until(outW, mark) })
	wg.Go(func() { _, errErr = sh.stderr.until(errW, mark) })
	wg.Wait()
	return line, errors.Join(outErr, errErr)
}

// commandScript is what the shell runs for cmd: the program in a subshell
// (or, for `true` and package remote's own scripts, in the shell itself:
// inShellCommand) with stdin from /dev/null (it can never read the
// protocol), then its
// exit status after mark on stdout and mark alone on stderr. The markers
// carry no newline of their own before them: output ending without one is
// cut at the marker.
func commandScript(cmd Cmd, mark string) string {
	m := Quote(mark)
	body, ok := inShellCommand(cmd)
	if !ok {
		body = "(" + cmdBody(cmd) + ")"
	}
	return body + " </dev/null; printf '%s%d\\n' " + m + " \"$?\"; printf '%s\\n' " + m + " >&2\n"
}

// runInShell runs cmd in sh (see SSH.run), killing the shell's process
// group through a new session when ctx ends first.
func (s *SSH) runInShell(ctx context.Context, cl *ssh.Client, sh *shell, cmd Cmd) (Result, error) {
	var out output
	stdout, stderr := out.stream(cmd.Stdout), out.stream(cmd.Stderr)
	mark := newMarker()
	type answer struct {
		line string
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		line, err := sh.exchange(commandScript(cmd, mark), mark, stdout, stderr)
		done <- answer{line, err}
	}()
	var a answer
	select {
	case a = <-done:
	case <-ctx.Done():
		killRemoteGroup(cl, sh.pid, s.conn.pool.opts.Grace)
		_ = sh.sess.Signal(ssh.SIGKILL)
		_ = sh.sess.Close()
		<-done
		s.conn.release(cl, sh, false)
		return out.finish(stdout, stderr, true), deadlineError(ctx, s.Host(), cmd.Argv, true)
	}
	res := out.finish(stdout, stderr, false)
	status, err := strconv.Atoi(a.line)
	if a.err == nil && err != nil {
		a.err = fmt.Errorf("bad status line %q", a.line)
	}
	s.conn.release(cl, sh, a.err == nil)
	switch {
	case a.err != nil:
		res.ExitStatus = -1
		return res, fmt.Errorf("%s on %s: connection lost: %w", path.Base(cmd.Argv[0]), s.Host(), a.err)
	case status != 0:
		res.ExitStatus = status
		return res, &ExitError{Host: s.Host(), Cmd: cmd.Argv, Status: status, Tail: res.Tail}
	}
	return res, nil
}

// markerReader reads one stream of a persistent shell, command after
// command.
type markerReader struct {
	r       io.Reader
	pending []byte // read but not yet passed on
	buf     []byte
}

// until copies the stream to w up to mark and returns the rest of the
// marker's line. Bytes that may start mark are held back until the next
// read tells; everything else goes to w at once. An end of the stream
// before mark is an error (io.ErrUnexpectedEOF when it was clean).
func (m *markerReader) until(w io.Writer, mark string) (string, error) {
	if m.buf == nil {
		m.buf = make([]byte, 32<<10)
	}
	tok := []byte(mark)
	found := false
	for {
		if !found {
			if i := bytes.Index(m.pending, tok); i >= 0 {
				_, _ = w.Write(m.pending[:i])
				m.pending = m.pending[i+len(tok):]
				found = true
			} else if keep := partialSuffix(m.pending, tok); keep < len(m.pending) {
				_, _ = w.Write(m.pending[:len(m.pending)-keep])
				m.pending = append(m.pending[:0], m.pending[len(m.pending)-keep:]...)
			}
		}
		if found {
			if i := bytes.IndexByte(m.pending, '\n'); i >= 0 {
				line := string(m.pending[:i])
				m.pending = append(m.pending[:0], m.pending[i+1:]...)
				return line, nil
			}
		}
		n, err := m.r.Read(m.buf)
		m.pending = append(m.pending, m.buf[:n]...)
		if err != nil && n == 0 {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			if !found {
				_, _ = w.Write(m.pending)
				m.pending = nil
			}
			return "", err
		}
	}
}

// partialSuffix returns the length of the longest end of b that begins
// tok (shorter than tok).
func partialSuffix(b, tok []byte) int {
	for k := min(len(b), len(tok)-1); k > 0; k-- {
		if bytes.HasPrefix(tok, b[len(b)-k:]) {
			return k
		}
	}
	return 0
}

package remote

import (
	"context"
	"errors"
	"sync"

	"golang.org/x/crypto/ssh"
)

// shells holds a connection's idle long-lived /bin/sh sessions. On this
// kind of host an exec session costs the login shell's start-up (a
// sourced .bashrc); a persistent shell pays it once per connection, and
// every later command costs a fork. Commands running at the same time on
// one connection each get a shell of their own.
type shells struct {
	mu      sync.Mutex
	on      *ssh.Client // the connection the state below belongs to
	idle    [2][]*shell // by agent: [1] holds shells with the agent forwarded
	refused bool        // on could not start a shell: commands use exec sessions
}

// acquire returns an idle shell of cl or starts one (with agent
// forwarding requested when agent is set: ForwardAgent commands get such a
// shell, others a plain one). It returns nil and no error when cl cannot
// run one (the caller uses an exec session); errors are ctx's or a refused
// agent forwarding request (*forwardError).
func (c *conn) acquire(ctx context.Context, cl *ssh.Client, agent bool) (*shell, error) {
	p := &c.shells
	p.mu.Lock()
	if p.on != cl {
		p.closeIdleLocked()
		p.on, p.refused = cl, false
	}
	if p.refused {
		p.mu.Unlock()
		return nil, nil
	}
	i := b2i(agent)
	if n := len(p.idle[i]); n > 0 {
		sh := p.idle[i][n-1]
		p.idle[i] = p.idle[i][:n-1]
		p.mu.Unlock()
		return sh, nil
	}
	p.mu.Unlock()
	var before func(*ssh.Session) error
	if agent {
		before = func(sess *ssh.Session) error {
			if err := c.requestForwarding(cl, sess); err != nil {
				return &forwardError{err}
			}
			return nil
		}
	}
	sh, err := startShell(ctx, cl, c.pool.opts.HandshakeTimeout, before)
	var fe *forwardError
	switch {
	case err == nil:
		sh.agent = agent
		return sh, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.As(err, &fe):
		return nil, fe
	}
	c.pool.opts.Logger.Debug("persistent shell unavailable, using exec sessions", "host", c.key, "err", err)
	if _, _, perr := cl.SendRequest("keepalive@openssh.com", true, nil); perr == nil {
		p.mu.Lock()
		if p.on == cl {
			p.refused = true
		}
		p.mu.Unlock()
	}
	return nil, nil
}

// forwardError is a refused agent forwarding request.
type forwardError struct{ err error }

func (e *forwardError) Error() string { return "agent forwarding: " + e.err.Error() }
func (e *forwardError) Unwrap() error { return e.err }

// release gives sh back to cl's idle shells, or closes it when it is
// broken or cl is no longer the connection.
func (c *conn) release(cl *ssh.Client, sh *shell, ok bool) {
	p := &c.shells
	p.mu.Lock()
	defer p.mu.Unlock()
	if ok && p.on == cl {
		p.idle[b2i(sh.agent)] = append(p.idle[b2i(sh.agent)], sh)
		return
	}
	_ = sh.sess.Close()
}

// closeIdleLocked closes every idle shell.
func (p *shells) closeIdleLocked() {
	for i := range p.idle {
		for _, sh := range p.idle[i] {
			_ = sh.sess.Close()
		}
		p.idle[i] = nil
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// shutdown closes the idle shells; the ones in use are closed when
// released (on no longer matches).
func (p *shells) shutdown() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closeIdleLocked()
	p.on = nil
}

package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// conn is one pooled SSH connection, redialled when it dies.
type conn struct {
	pool   *Pool
	key    string
	target Target
	refs   int // guarded by pool.mu

	mu        sync.Mutex
	client    *ssh.Client
	dead      chan struct{} // closed when client's connection ends
	forwarded bool          // agent forwarding handler installed on client
	requested bool          // the server accepted a forwarding request on client
	closed    bool

	files  files  // the SFTP session on client, if any
	shells shells // the idle persistent shells on client
}

// get returns a live client, dialling if needed.
func (c *conn) get(ctx context.Context) (*ssh.Client, error) { return c.connect(ctx, false) }

// getOnce is get with a single connection attempt.
func (c *conn) getOnce(ctx context.Context) (*ssh.Client, error) { return c.connect(ctx, true) }

func (c *conn) connect(ctx context.Context, once bool) (*ssh.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errors.New("ssh: executor closed")
	}
	if c.client != nil {
		select {
		case <-c.dead:
			c.client = nil
		default:
			return c.client, nil
		}
	}
	cl, err := c.pool.dial(ctx, c.target, once)
	if err != nil {
		return nil, err
	}
	dead := make(chan struct{})
	go func() {
		_ = cl.Wait()
		close(dead)
	}()
	c.client, c.dead, c.forwarded, c.requested = cl, dead, false, false
	return cl, nil
}

// forwardAgent installs the agent forwarding handler on cl once and reports
// whether forwarding is available (an ssh-agent is running locally).
func (c *conn) forwardAgent(cl *ssh.Client) bool {
	sock := c.pool.opts.Getenv("SSH_AUTH_SOCK")
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client != cl {
		return false
	}
	if c.forwarded {
		return true
	}
	if sock == "" {
		c.pool.opts.Logger.Debug("agent forwarding requested but SSH_AUTH_SOCK is not set", "host", c.key)
		return false
	}
	if err := agent.ForwardToRemote(cl, sock); err != nil {
		c.pool.opts.Logger.Warn("agent forwarding unavailable", "host", c.key, "err", err)
		return false
	}
	c.forwarded = true
	return true
}

// requestForwarding asks the server to forward the agent to sess. OpenSSH
// grants this once per connection and then offers the agent to every later
// session, refusing further requests; such a refusal is not an error.
func (c *conn) requestForwarding(cl *ssh.Client, sess *ssh.Session) error {
	err := agent.RequestAgentForwarding(sess)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client != cl {
		return err
	}
	if err == nil {
		c.requested = true
		return nil
	}
	if c.requested {
		return nil
	}
	return err
}

// shutdown closes the client and waits for its watcher.
func (c *conn) shutdown() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.client != nil {
		_ = c.client.Close()
		<-c.dead
		c.client = nil
	}
	c.files.shutdown()
	c.shells.shutdown()
}

// dial connects to t, retrying transient failures with backoff until ctx
// ends (or DialAttempts when ctx has no deadline; once: no retry).
// Permanent failures (IsPermanent) return at once.
func (p *Pool) dial(ctx context.Context, t Target, once bool) (*ssh.Client, error) {
	addr := net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
	_, hasDeadline := ctx.Deadline()
	wait := p.opts.RetryMin
	for attempt := 1; ; attempt++ {
		cl, err := p.dialOnce(ctx, t, addr)
		if err == nil {
			return cl, nil
		}
		err = fmt.Errorf("ssh %s@%s: %w", t.User, addr, err)
		if once || IsPermanent(err) || (!hasDeadline && attempt >= p.opts.DialAttempts) {
			return nil, err
		}
		p.opts.Logger.Debug("ssh connect failed, retrying", "host", addr, "attempt", attempt, "err", err)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, fmt.Errorf("%w (after %d attempts: %w)", err, attempt, ctx.Err())
		case <-timer.C:
		}
		wait = min(2*wait, p.opts.RetryMax)
	}
}

// dialOnce makes one connection attempt.
func (p *Pool) dialOnce(ctx context.Context, t Target, addr string) (*ssh.Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	get, closeAgent, err := signers(t, p.opts.Getenv("SSH_AUTH_SOCK"))
	if err != nil {
		return nil, err
	}
	defer closeAgent()
	known := t.HostKey
	if known == nil {
		if known, _, err = p.opts.HostKeys.Seen(hostID(t)); err != nil {
			return nil, fmt.Errorf("read the recorded host key of %s: %w", hostID(t), err)
		}
	}
	cfg := &ssh.ClientConfig{
		User:              t.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeysCallback(get)},
		HostKeyCallback:   hostKeyCallback(p.opts.HostKeys, t.HostKey, hostID(t)),
		HostKeyAlgorithms: hostKeyAlgorithms(known),
		Timeout:           p.opts.HandshakeTimeout,
	}
	dctx, cancel := context.WithTimeout(ctx, p.opts.HandshakeTimeout)
	defer cancel()
	nc, err := p.opts.Dial(dctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	dl, _ := dctx.Deadline()
	_ = nc.SetDeadline(dl)
	stop := context.AfterFunc(dctx, func() { _ = nc.Close() })
	cc, chans, reqs, err := ssh.NewClientConn(nc, addr, cfg)
	stop()
	if err != nil {
		_ = nc.Close()
		var ane *ssh.AlgorithmNegotiationError
		if known != nil && errors.As(err, &ane) && ane.What == "host key" {
			return nil, &HostKeyError{Host: hostID(t), Want: ssh.FingerprintSHA256(known),
				Got: "no " + known.Type() + " key (offers " + strings.Join(ane.RequestedAlgorithms, ", ") + ")"}
		}
		return nil, classifyHandshake(err)
	}
	_ = nc.SetDeadline(time.Time{})
	return ssh.NewClient(cc, chans, reqs), nil
}

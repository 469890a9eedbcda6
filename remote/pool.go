package remote

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/user"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Target says how to reach one host over SSH.
type Target struct {
	Host string
	// Port defaults to 22.
	Port int
	// User is the plan's ssh_username; empty means the current user.
	User string
	// KeyPath is the plan's localsshkeypath (a private key file).
	KeyPath string
	// DriverKeyPath is a private key file provided by the IaaS driver.
	DriverKeyPath string
	// HostKey is the host key announced by the driver, if known; it is then
	// required instead of trusting the first contact.
	HostKey ssh.PublicKey
}

// SSHOptions configures a Pool. Zero values pick the documented defaults.
type SSHOptions struct {
	// HostKeys records and checks host keys; nil means a MemoryHostKeys
	// private to the pool.
	HostKeys HostKeys
	// Getenv reads the local environment (SSH_AUTH_SOCK); nil means os.Getenv.
	Getenv func(string) string
	// CurrentUser names the user when a Target has none; nil means os/user.
	CurrentUser func() (string, error)
	// Dial opens the TCP connection; nil means a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// HandshakeTimeout bounds one connection attempt (default 30s).
	HandshakeTimeout time.Duration
	// RetryMin and RetryMax bound the backoff between connection attempts
	// (defaults 500ms and 10s). Attempts continue until ctx ends, or at most
	// DialAttempts times (default 5) when ctx has no deadline.
	RetryMin, RetryMax time.Duration
	DialAttempts       int
	// Grace is the time between TERM and KILL of a timed-out program
	// (default DefaultGrace).
	Grace time.Duration
	// DisableSFTP makes Upload and Fetch run shell commands (one
	// session each) even where the server offers the sftp subsystem.
	DisableSFTP bool
}

// Pool shares one SSH connection per user@host:port among the executors
// that use it. The connection closes when its last executor is closed.
type Pool struct {
	opts  SSHOptions
	mu    sync.Mutex
	conns map[string]*conn
}

// NewPool returns an empty pool.
func NewPool(opts SSHOptions) *Pool {
	if opts.HostKeys == nil {
		opts.HostKeys = &MemoryHostKeys{}
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.CurrentUser == nil {
		opts.CurrentUser = func() (string, error) {
			u, err := user.Current()
			if err != nil {
				return "", err
			}
			return u.Username, nil
		}
	}
	if opts.Dial == nil {
		var d net.Dialer
		opts.Dial = d.DialContext
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.HandshakeTimeout <= 0 {
		opts.HandshakeTimeout = 30 * time.Second
	}
	if opts.RetryMin <= 0 {
		opts.RetryMin = 500 * time.Millisecond
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = 10 * time.Second
	}
	if opts.DialAttempts <= 0 {
		opts.DialAttempts = 5
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	return &Pool{opts: opts, conns: make(map[string]*conn)}
}

// Get returns an executor for t, connecting (with retries bounded by ctx)
// unless a connection to the same user@host:port is already open. The
// caller must Close the executor; hold it for every step of a service so
// that they share the connection.
func (p *Pool) Get(ctx context.Context, t Target) (*SSH, error) {
	return p.get(ctx, t, false)
}

// Try is Get with a single connection attempt when no connection to
// user@host:port is open: for callers that poll with a retry budget of
// their own. A failed attempt returns its error at once.
func (p *Pool) Try(ctx context.Context, t Target) (*SSH, error) {
	return p.get(ctx, t, true)
}

func (p *Pool) get(ctx context.Context, t Target, once bool) (*SSH, error) {
	if t.Port == 0 {
		t.Port = 22
	}
	if t.User == "" {
		u, err := p.opts.CurrentUser()
		if err != nil {
			return nil, fmt.Errorf("ssh user: %w", err)
		}
		t.User = u
	}
	key := t.User + "@" + net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
	p.mu.Lock()
	c, ok := p.conns[key]
	if !ok {
		c = &conn{pool: p, key: key, target: t}
		p.conns[key] = c
	}
	c.refs++
	p.mu.Unlock()
	s := &SSH{conn: c}
	get := c.get
	if once {
		get = c.getOnce
	}
	if _, err := get(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes every connection of the pool; executors still open fail
// afterwards.
func (p *Pool) Close() error {
	p.mu.Lock()
	conns := p.conns
	p.conns = make(map[string]*conn)
	p.mu.Unlock()
	for _, c := range conns {
		c.shutdown()
	}
	return nil
}

// release drops one reference to c and closes it when none remain.
func (p *Pool) release(c *conn) {
	p.mu.Lock()
	c.refs--
	last := c.refs == 0
	if last && p.conns[c.key] == c {
		delete(p.conns, c.key)
	}
	p.mu.Unlock()
	if last {
		c.shutdown()
	}
}

// hostID names t in HostKeys.
func hostID(t Target) string {
	return knownhosts.Normalize(net.JoinHostPort(t.Host, strconv.Itoa(t.Port)))
}

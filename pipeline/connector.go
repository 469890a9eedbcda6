package pipeline

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/verify"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Target is how to reach the host of one service.
type Target struct {
	// Service is the service whose steps will run there.
	Service string
	// Local is true for local_exe services: programs run on this machine.
	Local bool
	// Host and Port are the SSH server's address.
	Host string
	Port int
	// User is the login (ssh_username, else the driver's user).
	User string
	// KeyPath is the plan's localsshkeypath; DriverKeyPath a key file the
	// IaaS driver made.
	KeyPath, DriverKeyPath string
	// HostKey is the host key the driver announced (authorized_keys format),
	// "" if unknown (then the first key seen is recorded).
	HostKey string
	// Contextualized shortens the port wait (the original's budget).
	Contextualized bool
}

// Connector gives executors for service hosts. Connect returns an executor
// the caller closes; it waits until the host accepts connections (within
// ctx). Close releases whatever the connector holds. Safe for concurrent use.
type Connector interface {
	Connect(ctx context.Context, t Target) (remote.Executor, error)
	Close() error
}

// KeyStore keeps the SSH host key of each service's host: the caller's
// record (the run record, the provisioner's store). A key line is
// "<type> <base64> <host id>" (authorized_keys format with the host id,
// "host" or "[host]:port", as comment); the connector writes and parses
// it.
type KeyStore interface {
	// HostKey returns the key line recorded for svc, "" for none.
	HostKey(ctx context.Context, svc string) (string, error)
	// SetHostKey records the key line of svc's host ("" forgets it).
	SetHostKey(ctx context.Context, svc, line string) error
}

// SSHConnector reaches hosts over SSH through a remote.Pool and runs
// local_exe services with remote.Local. Host keys are recorded in the
// KeyStore on first contact and checked on every later connection, by
// this process or a later one.
type SSHConnector struct {
	pool  *remote.Pool
	keys  *storeHostKeys
	local *remote.Local
	// PortWait is the budget of connection attempts (verify.PortBackoff
	// when nil; its AttemptTimeout is not used).
	PortWait func(contextualized bool) verify.Backoff
}

// NewSSHConnector returns a connector whose host keys live in keys.
// opts.HostKeys is replaced by keys.
func NewSSHConnector(keys KeyStore, opts remote.SSHOptions) *SSHConnector {
	hk := &storeHostKeys{store: keys, services: map[string][]string{}}
	opts.HostKeys = hk
	return &SSHConnector{pool: remote.NewPool(opts), keys: hk, local: &remote.Local{Grace: opts.Grace}}
}

// Connect implements Connector. It polls SSH connection attempts with the
// port budget (verify.PortBackoff: 129 attempts 3 s apart, 2 when
// contextualized) instead of probing the port first: a completed handshake
// proves the port answers, and a bare TCP probe costs OpenSSH a whole
// process per host. Each attempt is bounded by the pool's handshake timeout;
// refused authentication and a host key mismatch end the wait at once.
func (c *SSHConnector) Connect(ctx context.Context, t Target) (remote.Executor, error) {
	if t.Local {
		return c.local, nil
	}
	port := t.Port
	if port == 0 {
		port = 22
	}
	addr := net.JoinHostPort(t.Host, strconv.Itoa(port))
	b := verify.PortBackoff(t.Contextualized)
	if c.PortWait != nil {
		b = c.PortWait(t.Contextualized)
	}
	b.AttemptTimeout = 0 // remote.SSHOptions.HandshakeTimeout bounds each attempt
	rt := remote.Target{Host: t.Host, Port: port, User: t.User, KeyPath: t.KeyPath, DriverKeyPath: t.DriverKeyPath}
	if t.HostKey != "" {
		k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(t.HostKey))
		if err != nil {
			return nil, fmt.Errorf("host key announced by the driver: %w", err)
		}
		rt.HostKey = k
	}
	c.keys.register(knownhosts.Normalize(addr), t.Service)
	var ex *remote.SSH
	err := verify.Poll(ctx, b, func(ctx context.Context) error {
		var err error
		ex, err = c.pool.Try(ctx, rt)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	return ex, nil
}

// Close implements Connector.
func (c *SSHConnector) Close() error { return c.pool.Close() }

// storeHostKeys keeps host keys in a KeyStore, per service. The stored
// value is "<type> <base64> <host id>", so a key recorded for one address
// is never offered for another (a relaunched instance).
type storeHostKeys struct {
	store KeyStore
	mu    sync.Mutex
	// services maps a host id ("host" or "[host]:port") to the services
	// connecting to it in this process.
	services map[string][]string
}

func (k *storeHostKeys) register(id, svc string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, s := range k.services[id] {
		if s == svc {
			return
		}
	}
	k.services[id] = append(k.services[id], svc)
}

func (k *storeHostKeys) names(id string) []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.services[id]...)
}

// Seen implements remote.HostKeys: the key a service connecting to id
// recorded for id (a key recorded for another address is not id's). A
// record that cannot be read, or a key line that does not parse, is an
// error naming the service: never taken for no key.
func (k *storeHostKeys) Seen(id string) (ssh.PublicKey, bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, svc := range k.names(id) {
		line, err := k.store.HostKey(ctx, svc)
		if err != nil {
			return nil, false, fmt.Errorf("service %q: %w", svc, err)
		}
		if line == "" {
			continue
		}
		key, comment, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			return nil, false, fmt.Errorf("service %q: recorded host key %q: %w", svc, line, err)
		}
		if comment == id {
			return key, true, nil
		}
	}
	return nil, false, nil
}

// Record implements remote.HostKeys.
func (k *storeHostKeys) Record(id string, key ssh.PublicKey) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key))) + " " + id
	for _, svc := range k.names(id) {
		if err := k.store.SetHostKey(ctx, svc, line); err != nil {
			return err
		}
	}
	return nil
}

// DryRunConnector is the fake connector of --dryrun: it connects nowhere and
// its executor does nothing. Run succeeds with no output, uploads are
// discarded, Fetch reports fs.ErrNotExist (no bootout.json).
type DryRunConnector struct{}

// Connect implements Connector.
func (DryRunConnector) Connect(context.Context, Target) (remote.Executor, error) {
	return dryRunExecutor{}, nil
}

// Close implements Connector.
func (DryRunConnector) Close() error { return nil }

type dryRunExecutor struct{}

var _ remote.Executor = dryRunExecutor{}

func (dryRunExecutor) Prepare(context.Context, string) error { return nil }
func (dryRunExecutor) Upload(_ context.Context, _ string, r io.Reader, _ fs.FileMode) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (dryRunExecutor) Run(ctx context.Context, _ remote.Cmd) (remote.Result, error) {
	return remote.Result{}, ctx.Err()
}
func (dryRunExecutor) Fetch(_ context.Context, p string) ([]byte, error) {
	return nil, &fs.PathError{Op: "fetch", Path: p, Err: fs.ErrNotExist}
}
func (dryRunExecutor) Host() string { return "dry-run" }
func (dryRunExecutor) Close() error { return nil }

package remotetest

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/ssh"
)

// Server is a minimal in-process SSH server on 127.0.0.1. Commands run as
// the test's user through /bin/sh -c, each in its own session (setsid),
// as under OpenSSH. It is a test helper, not a hardened server.
type Server struct {
	// HostKey is the server's host key.
	HostKey ssh.Signer

	t       testing.TB
	ln      net.Listener
	cfg     *ssh.ServerConfig
	wg      sync.WaitGroup
	conns   atomic.Int64
	execs   atomic.Int64
	sftps   atomic.Int64
	sftpReq atomic.Int64
	sftp    atomic.Bool
	rewrite atomic.Pointer[func(string) string]

	mu         sync.Mutex
	authorized map[string]bool
	open       map[net.Conn]bool
	procs      map[int]bool
	closed     bool
}

// NewServer starts a server on 127.0.0.1:0 that accepts the given public
// keys for any user name. It stops in t.Cleanup, killing commands still
// running.
func NewServer(t testing.TB, authorized ...ssh.PublicKey) *Server {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hk, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		HostKey: hk, t: t,
		authorized: make(map[string]bool),
		open:       make(map[net.Conn]bool),
		procs:      make(map[int]bool),
	}
	for _, k := range authorized {
		s.Authorize(k)
	}
	s.cfg = &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.authorized[string(key.Marshal())] {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("remotetest: key not authorized")
		},
	}
	s.cfg.AddHostKey(hk)
	s.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.Close)
	return s
}

// AddHostKey gives the server another host key (of another type), as
// hosts with several keys have. Call it before the first connection.
func (s *Server) AddHostKey(k ssh.Signer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.AddHostKey(k)
}

// Authorize adds a key that may log in.
func (s *Server) Authorize(k ssh.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authorized[string(k.Marshal())] = true
}

// Host returns the server's IP address.
func (s *Server) Host() string { return s.ln.Addr().(*net.TCPAddr).IP.String() }

// Port returns the server's port.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Addr returns host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host(), strconv.Itoa(s.Port())) }

// Conns counts the TCP connections accepted so far (each client dial).
func (s *Server) Conns() int { return int(s.conns.Load()) }

// Execs counts the exec requests served so far (each a shell on the host).
func (s *Server) Execs() int { return int(s.execs.Load()) }

// SFTPSessions counts the sftp subsystem sessions served so far.
func (s *Server) SFTPSessions() int { return int(s.sftps.Load()) }

// SFTPRequests counts the sftp packets the clients sent so far (each
// session's version exchange included): one per request.
func (s *Server) SFTPRequests() int { return int(s.sftpReq.Load()) }

// ServeSFTP makes the server offer the "sftp" subsystem (github.com/pkg/sftp
// in this process, as the test's user); without it the subsystem request is
// refused, as by a server configured without one.
func (s *Server) ServeSFTP() { s.sftp.Store(true) }

// RewriteExec makes the server run f(command) for every later exec request
// instead of command: a test's stand-in for a host that restricts what
// sessions may run (OpenSSH's ForceCommand and the like).
func (s *Server) RewriteExec(f func(command string) string) { s.rewrite.Store(&f) }

// DropConns closes every open connection, as a rebooting host would.
func (s *Server) DropConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.open {
		_ = c.Close()
	}
}

// Close stops the server, closes its connections, kills the process groups
// of commands still running and waits for every goroutine.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	_ = s.ln.Close()
	for c := range s.open {
		_ = c.Close()
	}
	for pid := range s.procs {
		killGroup(pid)
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = nc.Close()
			return
		}
		s.open[nc] = true
		s.conns.Add(1)
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(nc)
	}
}

func (s *Server) serveConn(nc net.Conn) {
	defer s.wg.Done()
	defer func() {
		_ = nc.Close()
		s.mu.Lock()
		delete(s.open, nc)
		s.mu.Unlock()
	}()
	s.mu.Lock()
	cfg := *s.cfg // a snapshot: AddHostKey may change s.cfg
	s.mu.Unlock()
	sconn, chans, reqs, err := ssh.NewServerConn(nc, &cfg)
	if err != nil {
		return
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ssh.DiscardRequests(reqs)
	}()
	for nch := range chans {
		if nch.ChannelType() != "session" {
			_ = nch.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, creqs, err := nch.Accept()
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveSession(sconn, ch, creqs)
		}()
	}
	_ = sconn.Close()
	wg.Wait()
}

// track records or forgets a running command's pid.
func (s *Server) track(pid int, running bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if running {
		s.procs[pid] = true
	} else {
		delete(s.procs, pid)
	}
}

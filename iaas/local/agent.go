package local

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/crypto/ssh"
)

// agentForwarder serves a unix socket for one command; each connection to
// it is proxied to the client's agent over an auth-agent@openssh.com
// channel. Close stops it and waits for every proxy.
type agentForwarder struct {
	path string
	dir  string // a private temporary directory to remove, if any
	ln   net.Listener
	wg   sync.WaitGroup

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]bool
}

// forwardAgent listens on a socket in the instance directory (or in a
// private temporary directory when that path would be too long for a unix
// socket).
func forwardAgent(dir string, conn *ssh.ServerConn) (*agentForwarder, error) {
	var b [4]byte
	_, _ = rand.Read(b[:])
	f := &agentForwarder{conns: map[net.Conn]bool{}}
	f.path = filepath.Join(dir, "agent-"+hex.EncodeToString(b[:])+".sock")
	if len(f.path) > 100 {
		tmp, err := os.MkdirTemp("", "cloudinitd-agent-")
		if err != nil {
			return nil, err
		}
		f.dir, f.path = tmp, filepath.Join(tmp, "agent.sock")
	}
	ln, err := net.Listen("unix", f.path)
	if err != nil {
		f.cleanup()
		return nil, err
	}
	_ = os.Chmod(f.path, 0o600)
	f.ln = ln
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			if f.closed {
				f.mu.Unlock()
				c.Close()
				return
			}
			f.conns[c] = true
			f.mu.Unlock()
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				f.proxy(conn, c)
				f.mu.Lock()
				delete(f.conns, c)
				f.mu.Unlock()
			}()
		}
	}()
	return f, nil
}

// proxy copies between a local agent client and a new agent channel.
func (f *agentForwarder) proxy(conn *ssh.ServerConn, c net.Conn) {
	defer c.Close()
	ch, reqs, err := conn.OpenChannel("auth-agent@openssh.com", nil)
	if err != nil {
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		ssh.DiscardRequests(reqs)
	}()
	go func() {
		defer wg.Done()
		_, _ = io.Copy(c, ch)
		c.Close()
	}()
	// The local client ends the exchange; closing the channel then ends
	// the copy above (and the discard loop).
	_, _ = io.Copy(ch, c)
	ch.Close()
	c.Close()
	wg.Wait()
}

// Close stops accepting, cuts open proxies and waits for them.
func (f *agentForwarder) Close() {
	f.ln.Close()
	f.mu.Lock()
	f.closed = true
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
	f.cleanup()
}

func (f *agentForwarder) cleanup() {
	os.Remove(f.path)
	if f.dir != "" {
		os.RemoveAll(f.dir)
	}
}

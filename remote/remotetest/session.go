package remotetest

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// session is one "session" channel: env and agent requests, then one exec.
type session struct {
	srv   *Server
	sconn *ssh.ServerConn
	ch    ssh.Channel
	env   []string
	wg    sync.WaitGroup // goroutines of this session

	mu       sync.Mutex
	proc     *os.Process
	agentDir string
	agentLn  net.Listener
}

func (s *Server) serveSession(sconn *ssh.ServerConn, ch ssh.Channel, reqs <-chan *ssh.Request) {
	ss := &session{srv: s, sconn: sconn, ch: ch, env: []string{
		"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
		"HOME=" + os.Getenv("HOME"),
		"USER=" + sconn.User(),
	}}
	defer ss.close()
	for req := range reqs {
		switch req.Type {
		case "env":
			var m struct{ Name, Value string }
			ok := ssh.Unmarshal(req.Payload, &m) == nil
			if ok {
				ss.env = append(ss.env, m.Name+"="+m.Value)
			}
			_ = req.Reply(ok, nil)
		case "auth-agent-req@openssh.com":
			_ = req.Reply(ss.startAgentListener() == nil, nil)
		case "signal":
			var m struct{ Signal string }
			if ssh.Unmarshal(req.Payload, &m) == nil {
				ss.signal(m.Signal)
			}
			_ = req.Reply(true, nil)
		case "subsystem":
			var m struct{ Name string }
			if ssh.Unmarshal(req.Payload, &m) != nil || m.Name != "sftp" || !ss.srv.sftp.Load() {
				_ = req.Reply(false, nil)
				continue
			}
			_ = req.Reply(true, nil)
			ss.srv.sftps.Add(1)
			ss.wg.Add(1)
			go func() {
				defer ss.wg.Done()
				ss.serveSFTP()
			}()
		case "exec":
			var m struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &m); err != nil {
				_ = req.Reply(false, nil)
				continue
			}
			_ = req.Reply(true, nil)
			ss.srv.execs.Add(1)
			if f := ss.srv.rewrite.Load(); f != nil {
				m.Command = (*f)(m.Command)
			}
			ss.wg.Add(1)
			go func() {
				defer ss.wg.Done()
				ss.exec(m.Command)
				_ = ch.Close()
			}()
		default:
			_ = req.Reply(false, nil)
		}
	}
}

// serveSFTP serves the sftp protocol on the channel until the client ends it.
func (ss *session) serveSFTP() {
	defer ss.ch.Close()
	srv, err := sftp.NewServer(&packetCounter{ReadWriteCloser: ss.ch, n: &ss.srv.sftpReq})
	if err != nil {
		return
	}
	status := uint32(0)
	if err := srv.Serve(); err != nil && !errors.Is(err, io.EOF) {
		status = 1
	}
	_, _ = ss.ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
	_ = srv.Close()
}

// exec runs command and reports its exit on the channel.
func (ss *session) exec(command string) {
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Env = ss.env
	ss.mu.Lock()
	if ss.agentDir != "" {
		cmd.Env = append(cmd.Env, "SSH_AUTH_SOCK="+filepath.Join(ss.agentDir, "agent.sock"))
	}
	ss.mu.Unlock()
	cmd.Stdin = ss.ch
	cmd.Stdout = ss.ch
	cmd.Stderr = ss.ch.Stderr()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		_, _ = ss.ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{127}))
		return
	}
	ss.mu.Lock()
	ss.proc = cmd.Process
	ss.mu.Unlock()
	ss.srv.track(cmd.Process.Pid, true)
	err := cmd.Wait()
	ss.srv.track(cmd.Process.Pid, false)
	var ee *exec.ExitError
	switch {
	case err == nil || errors.Is(err, exec.ErrWaitDelay):
		_, _ = ss.ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{0}))
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			msg := struct {
				Signal     string
				CoreDumped bool
				Error      string
				Lang       string
			}{Signal: signalName(ws.Signal())}
			_, _ = ss.ch.SendRequest("exit-signal", false, ssh.Marshal(msg))
			return
		}
		_, _ = ss.ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(ee.ExitCode())}))
	}
}

// signal delivers an SSH signal request to the command (not its group), as
// OpenSSH does.
func (ss *session) signal(name string) {
	sig, ok := map[string]syscall.Signal{
		"TERM": syscall.SIGTERM, "KILL": syscall.SIGKILL, "INT": syscall.SIGINT, "HUP": syscall.SIGHUP,
	}[name]
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ok && ss.proc != nil {
		_ = ss.proc.Signal(sig)
	}
}

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGTERM:
		return "TERM"
	case syscall.SIGKILL:
		return "KILL"
	case syscall.SIGINT:
		return "INT"
	case syscall.SIGHUP:
		return "HUP"
	}
	return "USR1"
}

// startAgentListener opens the unix socket programs reach the client's
// agent through: each connection becomes an auth-agent@openssh.com channel.
func (ss *session) startAgentListener() error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.agentLn != nil {
		return nil
	}
	dir, err := os.MkdirTemp("", "rt-agent")
	if err != nil {
		return err
	}
	ln, err := net.Listen("unix", filepath.Join(dir, "agent.sock"))
	if err != nil {
		_ = os.RemoveAll(dir)
		return err
	}
	ss.agentDir, ss.agentLn = dir, ln
	ss.wg.Add(1)
	go func() {
		defer ss.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			ss.wg.Add(1)
			go func() {
				defer ss.wg.Done()
				ss.proxyAgent(c)
			}()
		}
	}()
	return nil
}

func (ss *session) proxyAgent(c net.Conn) {
	defer c.Close()
	ch, reqs, err := ss.sconn.OpenChannel("auth-agent@openssh.com", nil)
	if err != nil {
		return
	}
	defer ch.Close()
	go ssh.DiscardRequests(reqs)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(ch, c)
		_ = ch.CloseWrite()
	}()
	_, _ = io.Copy(c, ch)
	_ = c.Close()
	<-done
}

// close ends the session's agent listener and waits for its goroutines.
func (ss *session) close() {
	_ = ss.ch.Close()
	ss.mu.Lock()
	if ss.agentLn != nil {
		_ = ss.agentLn.Close()
	}
	dir := ss.agentDir
	ss.mu.Unlock()
	ss.wg.Wait()
	if dir != "" {
		_ = os.RemoveAll(dir)
	}
}

// killGroup kills process group pgid.
func killGroup(pgid int) {
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// packetCounter counts the sftp packets read through it: each is a
// 4-byte big-endian length and that many bytes.
type packetCounter struct {
	io.ReadWriteCloser
	n    *atomic.Int64
	hdr  [4]byte
	have int    // bytes of the next length read so far
	left uint32 // bytes of the current packet still to come
}

func (c *packetCounter) Read(p []byte) (int, error) {
	n, err := c.ReadWriteCloser.Read(p)
	for b := p[:n]; len(b) > 0; {
		if c.left > 0 {
			k := min(uint32(len(b)), c.left)
			c.left -= k
			b = b[k:]
			continue
		}
		c.hdr[c.have] = b[0]
		c.have++
		b = b[1:]
		if c.have == len(c.hdr) {
			c.left, c.have = binary.BigEndian.Uint32(c.hdr[:]), 0
			c.n.Add(1)
		}
	}
	return n, err
}

package local

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// drainIdle is how long output of an exited command may stay silent before
// its pipes are closed: background children that kept the command's stdout
// open do not hold the session forever (they get EPIPE, as under sshd when
// the client goes away).
const drainIdle = 300 * time.Millisecond

// persistentShell is the command with which cloudinitd's engine starts its
// persistent shell on a host (package remote). Run through /bin/sh -c it
// starts one shell that replaces itself with another; the server starts
// the second at once, as the first would have (same arguments,
// environment and directory; the shell sets PWD itself), and spares a
// host a shell's start per connection.
const persistentShell = "exec /bin/sh"

// session is one SSH session channel: env requests, agent forwarding, then
// one exec (or shell), hung up if the client leaves first (see hangup).
type session struct {
	srv   *server
	conn  *ssh.ServerConn
	ch    ssh.Channel
	env   []string
	agent bool

	mu      sync.Mutex
	pgid    int  // process group of the running command, 0 if none
	running bool // started and not yet reaped
}

func (s *session) run(reqs <-chan *ssh.Request) {
	var wg sync.WaitGroup
	started := false
	for req := range reqs {
		ok := false
		switch req.Type {
		case "env":
			var kv struct{ Name, Value string }
			if ssh.Unmarshal(req.Payload, &kv) == nil && kv.Name != EnvMarker && !strings.ContainsRune(kv.Name, '=') {
				s.env = append(s.env, kv.Name+"="+kv.Value)
				ok = true
			}
		case "auth-agent-req@openssh.com":
			s.agent, ok = true, true
		case "exec", "shell":
			var line struct{ Command string }
			if req.Type == "exec" && ssh.Unmarshal(req.Payload, &line) != nil {
				break
			}
			if !started {
				started = true
				args := []string{"/bin/sh"}
				if req.Type == "exec" && line.Command != persistentShell {
					args = append(args, "-c", line.Command)
				}
				// Reply before starting: the command may end, and
				// close the channel, before a later reply could go.
				if req.WantReply {
					req.Reply(true, nil)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					s.execute(args)
				}()
				continue
			}
		case "subsystem":
			var sub struct{ Name string }
			if ssh.Unmarshal(req.Payload, &sub) != nil || sub.Name != "sftp" || started {
				break
			}
			started = true
			if req.WantReply {
				req.Reply(true, nil)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.serveSFTP()
			}()
			continue
		case "signal":
			var sig struct{ Name string }
			if ssh.Unmarshal(req.Payload, &sig) == nil {
				if n, known := signalNames()[sig.Name]; known {
					s.signal(n)
					ok = true
				}
			}
		}
		if req.WantReply {
			req.Reply(ok, nil)
		}
	}
	// The channel is closed: by us after the command ended, or by the
	// client (or the connection died) while it still runs.
	s.hangup()
	if !started {
		s.ch.Close()
	}
	wg.Wait()
}

// hangup ends a command whose client left, as sshd does for a session
// without a terminal: the command itself is killed (its stdio is gone), and
// nothing is sent to its process group, so what it started in the
// background (`nohup … &`, `x &`, `setsid …`) keeps running until
// terminate. This matters for cloudinitd's persistent shell: its boot
// programs' daemons are in its group, and the shell is still running when
// the boot closes the connection. (A SIGHUP to the group, as a terminal
// hangup would send, killed a `nohup` daemon whose nohup had not yet
// ignored the signal: a race a loaded host lost.)
func (s *session) hangup() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running && s.pgid > 0 {
		_ = syscall.Kill(s.pgid, syscall.SIGKILL) // the command: its pid is its group's id
	}
}

// signal sends sig to the running command's process group, if it runs.
func (s *session) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running && s.pgid > 0 {
		_ = syscall.Kill(-s.pgid, sig)
	}
}

// execute runs args in a new process group with the session's channel as
// stdio, then reports its exit and closes the channel.
func (s *session) execute(args []string) {
	defer s.ch.Close()
	var fwd *agentForwarder
	env := s.environ()
	if s.agent {
		var err error
		if fwd, err = forwardAgent(s.srv.dir, s.conn); err != nil {
			s.srv.log.Warn("agent forwarding", "err", err)
		} else {
			defer fwd.Close()
			env = append(env, "SSH_AUTH_SOCK="+fwd.path)
		}
	}
	env = append(env, EnvMarker+"="+s.srv.meta.ID)

	inR, inW, err1 := os.Pipe()
	outR, outW, err2 := os.Pipe()
	errR, errW, err3 := os.Pipe()
	if err1 != nil || err2 != nil || err3 != nil {
		s.fail(err1, err2, err3)
		return
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = filepath.Join(s.srv.dir, workDir)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s.mu.Lock()
	err := cmd.Start()
	if err == nil {
		s.pgid, s.running = cmd.Process.Pid, true
	}
	s.mu.Unlock()
	inR.Close()
	outW.Close()
	errW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		errR.Close()
		s.fail(err)
		return
	}

	outDone := make(chan struct{})
	var (
		outs, in sync.WaitGroup
		lastOut  atomic.Int64
	)
	lastOut.Store(time.Now().UnixNano())
	copyOut := func(w io.Writer, r *os.File) {
		defer outs.Done()
		buf := make([]byte, 32<<10)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				lastOut.Store(time.Now().UnixNano())
				if _, werr := w.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	outs.Add(2)
	go copyOut(s.ch, outR)
	go copyOut(s.ch.Stderr(), errR)
	in.Add(1)
	go func() {
		defer in.Done()
		outs.Wait()
		close(outDone)
	}()
	in.Add(1)
	go func() {
		defer in.Done()
		_, _ = io.Copy(inW, s.ch)
		inW.Close()
	}()

	werr := cmd.Wait()
	s.mu.Lock()
	s.running = false
	s.mu.Unlock()
	drain(outDone, &lastOut, outR, errR)
	outR.Close()
	errR.Close()
	s.sendExit(cmd.ProcessState, werr)
	s.ch.CloseWrite()
	s.ch.Close()
	inW.Close()
	in.Wait()
}

// drain waits for the output copiers to finish; once the output has been
// silent for drainIdle it closes the pipes so that they do.
func drain(done <-chan struct{}, last *atomic.Int64, pipes ...*os.File) {
	t := time.NewTicker(drainIdle / 4)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			if time.Since(time.Unix(0, last.Load())) > drainIdle {
				for _, p := range pipes {
					p.Close()
				}
				<-done
				return
			}
		}
	}
}

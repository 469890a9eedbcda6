package local

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"

	"golang.org/x/crypto/ssh"
)

// signalNames lists the SSH signal names (RFC 4254 6.10) we deliver.
func signalNames() map[string]syscall.Signal {
	return map[string]syscall.Signal{
		"ABRT": syscall.SIGABRT, "ALRM": syscall.SIGALRM, "FPE": syscall.SIGFPE,
		"HUP": syscall.SIGHUP, "ILL": syscall.SIGILL, "INT": syscall.SIGINT,
		"KILL": syscall.SIGKILL, "PIPE": syscall.SIGPIPE, "QUIT": syscall.SIGQUIT,
		"SEGV": syscall.SIGSEGV, "TERM": syscall.SIGTERM, "USR1": syscall.SIGUSR1,
		"USR2": syscall.SIGUSR2,
	}
}

func signalName(sig syscall.Signal) string {
	for n, s := range signalNames() {
		if s == sig {
			return n
		}
	}
	return fmt.Sprint(int(sig))
}

// sendExit reports how the command ended: exit-signal when a signal killed
// it, exit-status otherwise.
func (s *session) sendExit(ps *os.ProcessState, werr error) {
	if ps == nil {
		s.fail(werr)
		return
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		msg := struct {
			Signal     string
			CoreDumped bool
			Error      string
			Lang       string
		}{Signal: signalName(ws.Signal()), CoreDumped: ws.CoreDump()}
		_, _ = s.ch.SendRequest("exit-signal", false, ssh.Marshal(&msg))
		return
	}
	s.exitStatus(uint32(ps.ExitCode()))
}

func (s *session) exitStatus(code uint32) {
	_, _ = s.ch.SendRequest("exit-status", false, ssh.Marshal(&struct{ Status uint32 }{code}))
}

// fail reports a command that could not start, as a shell would (127).
func (s *session) fail(errs ...error) {
	err := errors.Join(errs...)
	fmt.Fprintf(s.ch.Stderr(), "cloudinitd local: %v\n", err)
	s.srv.log.Warn("command did not start", "err", err)
	s.exitStatus(127)
}

// environ is the command's environment: a sane base, the SSH variables and
// the client's env requests (which win over the base).
func (s *session) environ() []string {
	home, _ := os.UserHomeDir()
	env := []string{
		"PATH=" + or(os.Getenv("PATH"), "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
		"HOME=" + home,
		"USER=" + s.srv.meta.User,
		"LOGNAME=" + s.srv.meta.User,
		"SHELL=" + or(os.Getenv("SHELL"), "/bin/sh"),
	}
	for _, k := range []string{"LANG", "TMPDIR", "TZ"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	rh, rp, _ := net.SplitHostPort(s.conn.RemoteAddr().String())
	lh, lp, _ := net.SplitHostPort(s.conn.LocalAddr().String())
	env = append(env,
		"SSH_CLIENT="+strings.Join([]string{rh, rp, lp}, " "),
		"SSH_CONNECTION="+strings.Join([]string{rh, rp, lh, lp}, " "),
	)
	return append(env, s.env...)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

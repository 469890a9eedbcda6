package remote

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/crypto/ssh"
)

// kill ends a timed-out command: TERM to its process group from a second
// session, KILL after the grace period, plus the SSH "signal" request for
// servers that honour it. It waits (bounded) for the session to end.
func (s *SSH) kill(cl *ssh.Client, sess *ssh.Session, pw *pidWriter, done <-chan error) {
	grace := s.conn.pool.opts.Grace
	_ = sess.Signal(ssh.SIGTERM)
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case <-pw.ready:
		killRemoteGroup(cl, pw.pid, grace)
	case <-t.C:
	case <-done:
		return
	}
	_ = sess.Signal(ssh.SIGKILL)
	t.Reset(grace + 5*time.Second)
	select {
	case <-done:
	case <-t.C:
		_ = sess.Close()
		<-done
	}
}

// killRemoteGroup runs the TERM/KILL sequence for process group pgid in a
// new session on cl. When pgid does not lead a group, only it is signalled.
func killRemoteGroup(cl *ssh.Client, pgid int, grace time.Duration) {
	secs := max(1, int((grace+time.Second-1)/time.Second))
	script := fmt.Sprintf(`kill -TERM -%[1]d 2>/dev/null || kill -TERM %[1]d 2>/dev/null
i=0; while [ $i -lt %[2]d ] && kill -0 -%[1]d 2>/dev/null; do sleep 1; i=$((i+1)); done
kill -KILL -%[1]d 2>/dev/null || kill -KILL %[1]d 2>/dev/null; true`, pgid, secs)
	ks, err := cl.NewSession()
	if err != nil {
		return
	}
	defer ks.Close()
	ctx, cancel := context.WithTimeout(context.Background(), grace+10*time.Second)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { _ = ks.Close() })
	defer stop()
	_ = ks.Run("exec /bin/sh -c " + Quote(script))
}

package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sync"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// errNoSFTP says that the connection has no usable sftp subsystem (or that
// SSHOptions.DisableSFTP is set); the caller falls back to shell commands.
var errNoSFTP = errors.New("no sftp subsystem")

// files is a connection's SFTP session, opened on first use and shared by
// every executor of the connection, so that Upload and Fetch cost
// one round trip each instead of a session and a shell on the host.
type files struct {
	mu     sync.Mutex
	on     *ssh.Client // the connection the state below belongs to; nil: not tried
	sess   *ssh.Session
	client *sftp.Client // nil with on set: the server offers no sftp
	closer sync.WaitGroup
	// private holds the stage directories Prepare made private during
	// client's session (see markPrivate).
	private map[string]bool
}

// sftp returns the connection's SFTP client, opening it on first use.
// errNoSFTP means the server has none (the answer is kept for the life of
// the connection); other errors are those of the connection itself.
func (c *conn) sftp(ctx context.Context) (*sftp.Client, error) {
	if c.pool.opts.DisableSFTP {
		return nil, errNoSFTP
	}
	cl, err := c.get(ctx)
	if err != nil {
		return nil, err
	}
	f := &c.files
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.on == cl {
		if f.client == nil {
			return nil, errNoSFTP
		}
		return f.client, nil
	}
	f.closeLocked()
	sess, sc, err := openSFTP(ctx, cl)
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, errNoSFTP):
		c.pool.opts.Logger.Debug("sftp unavailable, using shell commands", "host", c.key, "err", err)
		f.on = cl
		return nil, errNoSFTP
	case err != nil:
		return nil, fmt.Errorf("sftp on %s: %w", c.key, err)
	}
	f.on, f.sess, f.client = cl, sess, sc
	return sc, nil
}

// openSFTP starts the sftp subsystem in a new session on cl; ctx bounds
// the start and the version exchange. A failure on a connection that is
// still alive (the server refused the subsystem, or what it started does
// not speak sftp) wraps errNoSFTP.
func openSFTP(ctx context.Context, cl *ssh.Client) (*ssh.Session, *sftp.Client, error) {
	sess, err := cl.NewSession()
	if err != nil {
		return nil, nil, err
	}
	stop := context.AfterFunc(ctx, func() { _ = sess.Close() })
	defer stop()
	sc, err := startSFTP(sess)
	if err != nil {
		_ = sess.Close()
		if _, _, perr := cl.SendRequest("keepalive@openssh.com", true, nil); perr == nil {
			err = fmt.Errorf("%w: %w", errNoSFTP, err)
		}
		return nil, nil, err
	}
	return sess, sc, nil
}

// startSFTP requests the subsystem on sess and exchanges versions.
func startSFTP(sess *ssh.Session) (*sftp.Client, error) {
	w, err := sess.StdinPipe()
	if err != nil {
		return nil, err
	}
	r, err := sess.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := sess.RequestSubsystem("sftp"); err != nil {
		return nil, err
	}
	sc, err := sftp.NewClientPipe(r, w)
	if err != nil {
		return nil, err
	}
	if _, ok := sc.HasExtension("posix-rename@openssh.com"); !ok {
		// Without it a rename cannot replace a file atomically.
		_ = sc.Close()
		return nil, errors.New("server lacks posix-rename@openssh.com")
	}
	return sc, nil
}

// drop forgets sc (after a timeout or a transport error) so the next call
// opens a new session.
func (c *conn) drop(sc *sftp.Client) {
	f := &c.files
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.client == sc && sc != nil {
		f.closeLocked()
	}
}

// closeLocked ends the session. The client's Close waits for its reader,
// which a hung server may never end, so it runs apart; shutdown waits for
// it after closing the connection.
func (f *files) closeLocked() {
	if f.sess != nil {
		_ = f.sess.Close()
	}
	if sc := f.client; sc != nil {
		f.closer.Go(func() { _ = sc.Close() })
	}
	f.on, f.sess, f.client, f.private = nil, nil, nil, nil
}

// withSFTP runs op on the connection's SFTP client with ctx bounding it
// (the session is closed when ctx ends first). ok is false when there is
// no SFTP (op did not run); the caller then uses shell commands.
func (s *SSH) withSFTP(ctx context.Context, op func(*sftp.Client) error) (ok bool, err error) {
	if s.closed.Load() {
		return true, errors.New("ssh: executor closed")
	}
	if ctx.Err() != nil {
		return true, s.sftpCtxError(ctx)
	}
	sc, err := s.conn.sftp(ctx)
	switch {
	case errors.Is(err, errNoSFTP):
		return false, nil
	case err != nil && ctx.Err() != nil:
		return true, s.sftpCtxError(ctx)
	case err != nil:
		return true, err
	}
	stop := context.AfterFunc(ctx, func() { s.conn.drop(sc) })
	err = op(sc)
	stop()
	if ctx.Err() != nil {
		return true, s.sftpCtxError(ctx)
	}
	if err != nil && !fileError(err) {
		s.conn.drop(sc)
		return true, fmt.Errorf("sftp on %s: %w", s.Host(), err)
	}
	return true, err
}

// sftpCtxError is the error of an operation whose ctx ended: it wraps
// ErrTimeout on a deadline, as Run's does.
func (s *SSH) sftpCtxError(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("sftp on %s: %w: %w", s.Host(), ErrTimeout, ctx.Err())
	}
	return fmt.Errorf("sftp on %s: %w", s.Host(), ctx.Err())
}

// fileError reports whether err is the server's answer about a file (the
// session is fine) rather than a broken session.
func fileError(err error) bool {
	var se *sftp.StatusError
	var pe *fs.PathError
	return errors.As(err, &se) || errors.As(err, &pe) || errors.Is(err, fs.ErrNotExist) ||
		errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrExist) || errors.Is(err, ErrTooLarge)
}

// sftpUpload is Upload over SFTP. SFTP cannot create a file with a mode, so
// the data goes to a file in a fresh directory that only the user can
// enter (a file readable by others for a moment could be opened then and
// read later), gets its mode and is renamed over dst.
func sftpUpload(sc *sftp.Client, dst string, data io.Reader, mode fs.FileMode) (err error) {
	dir := path.Join(path.Dir(dst), "."+path.Base(dst)+".upload-"+randomHex())
	if err := sc.Mkdir(dir); err != nil {
		return err
	}
	tmp := path.Join(dir, path.Base(dst))
	defer func() {
		if err != nil {
			_ = sc.Remove(tmp)
		}
		_ = sc.RemoveDirectory(dir)
	}()
	if err := sc.Chmod(dir, 0o700); err != nil {
		return err
	}
	f, err := sc.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := sc.Chmod(tmp, mode.Perm()); err != nil {
		return err
	}
	return sc.PosixRename(tmp, dst)
}

// sftpFetch is Fetch over SFTP.
func sftpFetch(sc *sftp.Client, p string) ([]byte, error) {
	f, err := sc.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf limitedBuffer
	if _, err := io.Copy(&buf, f); err != nil {
		return nil, err
	}
	return buf.b.Bytes(), nil
}

// shutdownFiles ends the SFTP session and waits for its closer; the
// connection must be closed already (so a hung server cannot block it).
func (f *files) shutdown() {
	f.mu.Lock()
	f.closeLocked()
	f.mu.Unlock()
	f.closer.Wait()
}

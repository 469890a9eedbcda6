package remote

import (
	"io"
	"io/fs"
	"os"
	"path"

	"github.com/pkg/sftp"
)

// markPrivate notes that Prepare made dir a private stage directory
// (mode 0700, the user's own, checked in the persistent shell) while sc
// was the connection's SFTP session. The note lives as long as that
// session: a new session (after a timeout, a transport error or a
// redial) starts with none, and uploads take the general way again
// until a Prepare on it.
func (c *conn) markPrivate(sc *sftp.Client, dir string) {
	f := &c.files
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.client != sc || sc == nil {
		return
	}
	if f.private == nil {
		f.private = map[string]bool{}
	}
	f.private[path.Clean(dir)] = true
}

// isPrivate reports whether Prepare made dir private during sc's session
// (see markPrivate).
func (c *conn) isPrivate(sc *sftp.Client, dir string) bool {
	f := &c.files
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.client == sc && sc != nil && f.private[dir]
}

// sftpUploadPrivate is sftpUpload into a directory only the user can
// enter (a stage directory Prepare made private on this session): no
// other user can open a file there, whatever its mode for a moment, so
// the data goes straight to a temporary name beside dst, gets its mode
// through its open handle and is renamed over dst — five requests where
// the general way, which first makes a private directory of its own,
// needs eight.
func sftpUploadPrivate(sc *sftp.Client, dst string, data io.Reader, mode fs.FileMode) (err error) {
	tmp := path.Join(path.Dir(dst), "."+path.Base(dst)+".upload-"+randomHex())
	f, err := sc.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = sc.Remove(tmp)
		}
	}()
	_, err = io.Copy(f, data)
	if err == nil {
		err = f.Chmod(mode.Perm())
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return sc.PosixRename(tmp, dst)
}

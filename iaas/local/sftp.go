package local

import (
	"errors"
	"io"
	"path/filepath"

	"github.com/pkg/sftp"
)

// serveSFTP serves the "sftp" subsystem in this process (no child, so no
// process to kill), relative paths resolving in the work directory. This is
// what OpenSSH's scp uses by default since 9.0, and what SFTP-based
// uploaders expect; exec-based upload (cat > file) works as well.
func (s *session) serveSFTP() {
	defer s.ch.Close()
	srv, err := sftp.NewServer(s.ch, sftp.WithServerWorkingDirectory(filepath.Join(s.srv.dir, workDir)))
	if err != nil {
		s.fail(err)
		return
	}
	// Report the status before srv.Close, which closes the channel.
	defer srv.Close()
	if err := srv.Serve(); err != nil && !errors.Is(err, io.EOF) {
		s.srv.log.Warn("sftp", "err", err)
		s.exitStatus(1)
		return
	}
	s.exitStatus(0)
}

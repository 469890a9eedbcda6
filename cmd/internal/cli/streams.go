package cli

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// IOStreams are the three standard streams a command may use. Results go to
// Out; progress, errors and hints go to Err.
type IOStreams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// IsTerminal reports whether w is a terminal (for live progress and colour).
func IsTerminal(w io.Writer) bool {
	f, ok := unwrapFile(w)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// unwrapFile is the file under w's writers (each one's Unwrap, as
// maskWriter and the signal guard have), if it is one.
func unwrapFile(w io.Writer) (*os.File, bool) {
	for {
		u, ok := w.(interface{ Unwrap() io.Writer })
		if !ok {
			break
		}
		w = u.Unwrap()
	}
	f, ok := w.(*os.File)
	return f, ok
}

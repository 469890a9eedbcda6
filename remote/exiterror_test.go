package remote

import (
	"errors"
	"io"
	"testing"
)

// TestExitError: how an exec session's end becomes a command's outcome
// (the ssh and tty paths share it): none is status 0, a session that
// ended without an exit status is the connection lost (-1), naming the
// program and host. An exit status (an *ExitError) is checked against
// real servers: TestUploadFetch's fetch of a missing file, TestTTY.
func TestExitError(t *testing.T) {
	s := &SSH{conn: &conn{key: "u@h:22"}}
	cmd := Cmd{Argv: []string{"/opt/app/boot.sh", "x"}}
	if status, err := s.exitError(cmd, nil, nil); status != 0 || err != nil {
		t.Errorf("exitError(nil) = %d, %v; want 0, nil", status, err)
	}
	status, err := s.exitError(cmd, io.EOF, []string{"last line"})
	if want := "boot.sh on u@h:22: connection lost: EOF"; status != -1 || err == nil || err.Error() != want || !errors.Is(err, io.EOF) {
		t.Errorf("exitError(EOF) = %d, %v; want -1, %q wrapping io.EOF", status, err, want)
	}
}

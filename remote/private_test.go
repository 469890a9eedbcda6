package remote_test

import (
	"errors"
	"io/fs"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/remote/remotetest"
	"github.com/google/go-cmp/cmp"
)

// TestPreparedStageDirSFTPRequests: over SFTP, Prepare of a new stage
// directory sends three requests once the session is open (mkdir, lstat,
// chmod 0700: the shell, having checked the working directory, leaves it
// to SFTP, which starts no process on the host; the server's umask here
// lets no one else write, so no listing), of an existing one a chmod; an upload into a stage
// directory Prepare made private on the session writes beside its
// destination (5 requests), anywhere else through a private directory of
// its own (8), also into the same stage directory on a new session. The
// files get their modes and contents and no temporary is left.
func TestPreparedStageDirSFTPRequests(t *testing.T) {
	signer, keyPath := remotetest.NewKey(t)
	srv := remotetest.NewServer(t, signer.PublicKey())
	srv.ServeSFTP()
	ex := openSSH(t, srv.Host(), srv.Port(), keyPath, nil)
	ctx := testCtx(t)
	s := remote.StageDir(path.Join(t.TempDir(), "work"), "svc")
	sub := path.Join(s, "sub")
	type step struct {
		Name     string
		Requests int
	}
	var got []step
	counted := func(name string, f func() error) {
		t.Helper()
		n := srv.SFTPRequests()
		if err := f(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got = append(got, step{name, srv.SFTPRequests() - n})
	}
	upload := func(p, data string) func() error {
		return func() error { return ex.Upload(ctx, p, strings.NewReader(data), 0o750) }
	}
	counted("open the session", func() error { _, err := ex.Fetch(ctx, "/nonexistent/file"); return ignoreMissing(err) })
	counted("prepare a new stage dir", func() error { return ex.Prepare(ctx, s) })
	counted("upload into it", upload(path.Join(s, "prog"), "v1"))
	counted("prepare it again", func() error { return ex.Prepare(ctx, s) })
	counted("replace the file", upload(path.Join(s, "prog"), "v2"))
	if _, err := ex.Run(ctx, remote.Cmd{Argv: []string{"mkdir", sub}}); err != nil {
		t.Fatal(err)
	}
	counted("upload elsewhere", upload(path.Join(sub, "other"), "o"))
	srv.DropConns()
	// The first call after the drop may see the dead session; a retry,
	// as a step's caller would make, succeeds on a new connection.
	for i := 0; ex.Upload(ctx, path.Join(sub, "again"), strings.NewReader("a"), 0o600) != nil; i++ {
		if i == 50 {
			t.Fatal("no upload after the connection was dropped")
		}
		time.Sleep(20 * time.Millisecond)
	}
	counted("upload into it on a new session", upload(path.Join(s, "prog"), "v3"))
	want := []step{
		{"open the session", 2}, {"prepare a new stage dir", 3}, {"upload into it", 5},
		{"prepare it again", 1}, {"replace the file", 5}, {"upload elsewhere", 8},
		{"upload into it on a new session", 8},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sftp requests (-want +got):\n%s", diff)
	}
	res, err := ex.Run(ctx, remote.Cmd{Argv: []string{"sh", "-c", `cd "$1" && stat -c '%n %a' . prog && ls -A . sub && cat prog`, "sh", s}})
	if err != nil {
		t.Fatal(err)
	}
	wantTail := []string{". 700", "prog 750", ".:", "prog", "sub", "", "sub:", "again", "other", "v3"}
	if diff := cmp.Diff(wantTail, res.Tail); diff != "" {
		t.Errorf("stage dir (-want +got):\n%s", diff)
	}
}

// ignoreMissing is err unless it says that a file does not exist.
func ignoreMissing(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

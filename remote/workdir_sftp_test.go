package remote

import (
	"errors"
	"io"
	"io/fs"
	"net"
	"path"
	"strings"
	"sync"
	"testing"

	"github.com/pkg/sftp"
)

// TestSFTPMakeStage: sftpMakeStage makes a missing stage directory; it
// leaves an existing one to the shell (made false, no error); and where
// the server made it with a mode others could write (a server umask of
// 0), it refuses the directory if anything is in it once it is 0700 —
// someone else wrote there in the moment before the chmod.
func TestSFTPMakeStage(t *testing.T) {
	const stage = "/w/svc"
	for _, tc := range []struct {
		name     string
		exists   bool // the stage directory is there before
		loose    bool // the server makes it 0777
		intruder bool // and someone else makes something in it at once
		made     bool
		wantErr  string
	}{
		{name: "made, mode 0755"},
		{name: "made, mode 0777, empty", loose: true, made: true},
		{name: "mode 0777, written to by another", loose: true, intruder: true, wantErr: "was written to by someone else"},
		{name: "exists already", exists: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.exists && !tc.loose {
				tc.made = true
			}
			h := sftp.InMemHandler()
			fsys := &strangeFS{Handlers: h, dir: stage, loose: tc.loose, intruder: tc.intruder}
			sc := memSFTP(t, sftp.Handlers{FileGet: h.FileGet, FilePut: h.FilePut, FileCmd: fsys, FileList: fsys})
			if err := sc.Mkdir("/w"); err != nil {
				t.Fatal(err)
			}
			if tc.exists {
				if err := sc.Mkdir(stage); err != nil {
					t.Fatal(err)
				}
			}
			made, err := sftpMakeStage(sc, stage)
			if tc.wantErr != "" {
				if !errors.Is(err, ErrWorkDir) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("sftpMakeStage = %v, want ErrWorkDir saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || made != tc.made {
				t.Fatalf("sftpMakeStage = %v, %v; want %v, nil", made, err, tc.made)
			}
			if fi, err := sc.Lstat(stage); err != nil || !fi.IsDir() {
				t.Errorf("after sftpMakeStage: %v, %v; want a directory", fi, err)
			}
			if want := map[bool]int{true: 1}[tc.made]; fsys.chmods != want {
				t.Errorf("chmods of the stage directory = %d, want %d", fsys.chmods, want)
			}
		})
	}
}

// strangeFS wraps an in-memory server's commands and listings: when
// loose, the directory dir reads mode 0777 (as a server with umask 0
// makes it); with intruder, a directory appears in it the moment it is made.
type strangeFS struct {
	sftp.Handlers
	dir             string
	loose, intruder bool
	chmods          int // Setstat requests of dir
}

func (s *strangeFS) Filecmd(r *sftp.Request) error {
	if r.Method == "Setstat" && r.Filepath == s.dir {
		// The in-memory server sets no directory's attributes.
		s.chmods++
		return nil
	}
	if err := s.FileCmd.Filecmd(r); err != nil {
		return err
	}
	if r.Method == "Mkdir" && r.Filepath == s.dir && s.intruder {
		return s.FileCmd.Filecmd(sftp.NewRequest("Mkdir", path.Join(s.dir, "planted")))
	}
	return nil
}

func (s *strangeFS) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	l, err := s.FileList.Filelist(r)
	if err != nil || !s.loose || r.Filepath != s.dir || (r.Method != "Stat" && r.Method != "Lstat") {
		return l, err
	}
	fi := make([]fs.FileInfo, 1)
	if _, err := l.ListAt(fi, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return listerAt{looseInfo{fi[0]}}, nil
}

// looseInfo is a directory's FileInfo with mode 0777.
type looseInfo struct{ fs.FileInfo }

func (looseInfo) Mode() fs.FileMode { return fs.ModeDir | 0o777 }

type listerAt []fs.FileInfo

func (l listerAt) ListAt(out []fs.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(out, l[off:])
	if n < len(out) {
		return n, io.EOF
	}
	return n, nil
}

// memSFTP is an SFTP client of a request server with handlers h, over a
// pipe; both end with the test.
func memSFTP(t *testing.T, h sftp.Handlers) *sftp.Client {
	t.Helper()
	cconn, sconn := net.Pipe()
	srv := sftp.NewRequestServer(sconn, h)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = srv.Serve()
	}()
	sc, err := sftp.NewClientPipe(cconn, cconn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = sc.Close()
		_ = srv.Close()
		_ = cconn.Close()
		wg.Wait()
	})
	return sc
}

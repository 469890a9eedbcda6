package workerctx

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/provisioner"
	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/remote/remotetest"
)

// TestFetchLogs: a contextualized worker's logs come back as a tar over
// SSH with its pinned host key: by default the *.log and *.out files of
// its stage directory (never bootconf.json, which holds secrets), with a
// log_dir every regular file under it; a host whose key changed is
// refused.
func TestFetchLogs(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, workerFiles)
	var log syncBuffer
	c, keys := newTestContextualizer(t, dir, &log)
	w := newSSHWorker(t)
	node := epu.Node{NodeID: "n-1", LaunchID: "l-1", DeployableType: "sleeper", Vars: map[string]string{"mode": "ok"}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Contextualize(ctx, node, w.inst, workerType(dir)); err != nil {
		t.Fatalf("contextualize: %v\n%s", err, log.String())
	}
	stage := filepath.Join(w.work, "n-1")
	for name, body := range map[string]string{"app.log": "started\n", "agent-home/agent.out": "agent up\n",
		"notes.txt": "not a log", "logs/a.txt": "in log_dir", "logs/deep/b.log": "deep"} {
		p := filepath.Join(stage, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, logDir string
		want         map[string]string
	}{
		{"stage dir logs", "", map[string]string{"app.log": "started\n", "agent-home/agent.out": "agent up\n", "logs/deep/b.log": "deep"}},
		{"relative log_dir", "logs", map[string]string{"a.txt": "in log_dir", "deep/b.log": "deep"}},
		{"absolute log_dir", filepath.Join(stage, "logs", "deep"), map[string]string{"b.log": "deep"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dt := workerType(dir)
			dt.LogDir = tc.logDir
			var buf bytes.Buffer
			if err := c.FetchLogs(ctx, node, w.inst, dt, &buf); err != nil {
				t.Fatalf("fetch logs: %v", err)
			}
			if diff := cmp.Diff(tc.want, tarFiles(t, buf.Bytes())); diff != "" {
				t.Errorf("the tar (-want +got):\n%s", diff)
			}
		})
	}
	// A changed host key is refused: nothing fetched from an impostor.
	other, _ := remotetest.NewKey(t)
	line, _ := keys.HostKey(ctx, "n-1")
	f := strings.Fields(line)
	forged := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(other.PublicKey()))) + " " + f[len(f)-1]
	if err := keys.SetHostKey(ctx, "n-1", forged); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := c.FetchLogs(ctx, node, w.inst, workerType(dir), &buf); !errors.Is(err, remote.ErrHostKeyMismatch) || buf.Len() != 0 {
		t.Errorf("fetch with a changed host key: %v, %d bytes; want a host key mismatch and nothing", err, buf.Len())
	}
	// Not pinned at all: ErrNoHostKeys.
	bare, err := New(Config{Dir: dir, Exe: "/x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := bare.FetchLogs(ctx, node, w.inst, workerType(dir), &buf); !errors.Is(err, ErrNoHostKeys) {
		t.Errorf("fetch without pinned keys: %v, want ErrNoHostKeys", err)
	}
	var _ provisioner.LogFetcher = c
}

// tarFiles is name -> content of the regular files of a tar.
func tarFiles(t *testing.T, b []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("read the tar: %v", err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			out[h.Name] = string(body)
		}
	}
}

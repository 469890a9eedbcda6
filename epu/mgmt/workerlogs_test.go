package mgmt

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
)

type tarEntry struct {
	name, body, link string
	typ              byte
}

func makeTar(t *testing.T, es ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body)), Linkname: e.link}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// logTar is a tar of one file.
func logTar(name, body string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o600, Size: int64(len(body))})
	_, _ = tw.Write([]byte(body))
	_ = tw.Close() // a bytes.Buffer does not fail
	return buf.Bytes()
}

// files lists the regular files under dir (slash paths) with content.
func files(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

// TestUntar: regular files and directories are written under the
// instance's directory; an absolute name, "..", a link or a device is
// refused (ErrBadTar) and nothing lands outside it.
func TestUntar(t *testing.T) {
	reg := func(name, body string) tarEntry { return tarEntry{name: name, body: body, typ: tar.TypeReg} }
	for _, tc := range []struct {
		name    string
		entries []tarEntry
		want    map[string]string
		bad     bool
	}{
		{"files and dirs", []tarEntry{{name: "./", typ: tar.TypeDir}, {name: "sub/", typ: tar.TypeDir}, reg("app.log", "a\n"),
			reg("sub/agent.out", "b\n"), reg("./deep/x/y.log", "c")},
			map[string]string{"app.log": "a\n", "sub/agent.out": "b\n", "deep/x/y.log": "c"}, false},
		{"empty tar", nil, map[string]string{}, false},
		{"absolute", []tarEntry{reg("/tmp/evil", "x")}, map[string]string{}, true},
		{"dot dot", []tarEntry{reg("../evil", "x")}, map[string]string{}, true},
		{"dot dot inside", []tarEntry{reg("a/../../evil", "x")}, map[string]string{}, true},
		{"symlink", []tarEntry{{name: "link", typ: tar.TypeSymlink, link: "/etc/passwd"}}, map[string]string{}, true},
		{"hard link", []tarEntry{{name: "hl", typ: tar.TypeLink, link: "/etc/passwd"}}, map[string]string{}, true},
		{"device", []tarEntry{{name: "dev", typ: tar.TypeChar}}, map[string]string{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "run", "i-1")
			n, err := untar(bytes.NewReader(makeTar(t, tc.entries...)), dir)
			if tc.bad != errors.Is(err, ErrBadTar) || (!tc.bad && err != nil) {
				t.Fatalf("untar: %v (bad tar expected: %v)", err, tc.bad)
			}
			if diff := cmp.Diff(tc.want, files(t, root+"/run/i-1")); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if got := files(t, root); len(got) != len(tc.want) {
				t.Errorf("files under the whole tree: %v", got)
			}
			if n != len(tc.want) {
				t.Errorf("counted %d files, want %d", n, len(tc.want))
			}
		})
	}
}

// gatedChannel answers worker-logs with a tar naming the worker, holding
// each call until maxFetches are in flight (then letting every call
// through), and counting the most at once; node "n-fail" fails.
type gatedChannel struct {
	fakeChannel
	mu       sync.Mutex
	now, max int
	opened   bool
	open     chan struct{}
}

func (g *gatedChannel) Ctl(ctx context.Context, svc Service, args ...string) ([]byte, error) {
	if args[0] != "worker-logs" {
		return g.fakeChannel.Ctl(ctx, svc, args...)
	}
	g.mu.Lock()
	g.now++
	g.max = max(g.max, g.now)
	if g.now == maxFetches && !g.opened {
		g.opened = true
		close(g.open)
	}
	g.mu.Unlock()
	defer func() { g.mu.Lock(); g.now--; g.mu.Unlock() }()
	select {
	case <-g.open:
	case <-time.After(10 * time.Second):
		return nil, errors.New("the gate never opened: fewer than maxFetches at once")
	}
	return g.fakeChannel.Ctl(ctx, svc, args...)
}

// TestFetchWorkerLogs: the workers' logs come through their provisioner
// ('epu ctl worker-logs NODE_ID' on its host) into
// <runlogdir>/<run>/<instance>/, at most maxFetches at once; workers
// without a running instance are skipped, a failure (the call or an
// unsafe tar) is counted and the others fetched; only the named workers
// when a set is given (fetchkill).
func TestFetchWorkerLogs(t *testing.T) {
	dir := t.TempDir()
	epuFixture(t, dir, "r1")
	var ns []epu.Node
	for i := 0; i < 30; i++ {
		ns = append(ns, epu.Node{NodeID: fmt.Sprintf("n-%02d", i), IaaSID: fmt.Sprintf("i-%02d", i), State: epu.Running})
	}
	ns = append(ns,
		epu.Node{NodeID: "n-fail", IaaSID: "i-fail", State: epu.RunningFailed},
		epu.Node{NodeID: "n-evil", IaaSID: "i-evil", State: epu.Started},
		epu.Node{NodeID: "n-gone", IaaSID: "i-gone", State: epu.Terminated},
		epu.Node{NodeID: "n-dying", IaaSID: "i-dying", State: epu.Terminating},
		epu.Node{NodeID: "n-failed", IaaSID: "i-failed", State: epu.Failed},
		epu.Node{NodeID: "n-new", State: epu.Requested})
	ch := &gatedChannel{open: make(chan struct{})}
	ch.answer = func(svc Service, args []string) (any, error) {
		switch {
		case svc.Name == "provisioner" && args[0] == "nodes":
			return map[string]any{"nodes": ns}, nil
		case svc.Name == "provisioner" && args[0] == "worker-logs" && args[1] == "n-fail":
			return nil, errors.New("exit status 1: node \"n-fail\": fetch its logs: connect: refused")
		case svc.Name == "provisioner" && args[0] == "worker-logs" && args[1] == "n-evil":
			return makeTar(t, tarEntry{name: "../../escape.log", body: "x", typ: tar.TypeReg}), nil
		case svc.Name == "provisioner" && args[0] == "worker-logs":
			return makeTar(t, tarEntry{name: "worker.log", body: "log of " + args[1], typ: tar.TypeReg}), nil
		}
		return nil, fmt.Errorf("unexpected call %s %v", svc.Name, args)
	}
	m, _, errb := testManager(t, dir, ch, nil)
	ctx := context.Background()
	s, err := m.open(ctx, "r1", false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	var res FetchResult
	if err := m.fetchWorkerLogs(ctx, s, s.sys.ByRole(RoleProvisioner), nil, &res); err != nil {
		t.Fatal(err)
	}
	if res.Workers != 30 || res.Files != 30 || len(res.Errors) != 2 {
		t.Errorf("workers %d, files %d, errors %v; want 30, 30 and 2", res.Workers, res.Files, res.Errors)
	}
	sort.Strings(res.Skipped)
	want := []string{"worker n-dying: 700-TERMINATING", "worker n-failed: 900-FAILED", "worker n-gone: 800-TERMINATED", "worker n-new: 200-REQUESTED"}
	if diff := cmp.Diff(want, res.Skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	if ch.max != maxFetches {
		t.Errorf("%d fetches at once, want %d", ch.max, maxFetches)
	}
	base := filepath.Join(m.RunLogDir, "r1")
	if got := files(t, filepath.Join(base, "i-07")); got["worker.log"] != "log of n-07" {
		t.Errorf("i-07's logs: %v", got)
	}
	if _, err := os.Stat(filepath.Join(m.RunLogDir, "escape.log")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the unsafe tar wrote outside its directory: %v", err)
	}
	for _, w := range []string{`worker n-fail (instance i-fail)`, `worker n-evil (instance i-evil): unpack its logs`} {
		if !strings.Contains(errb.String(), w) {
			t.Errorf("stderr lacks %q:\n%s", w, errb)
		}
	}
	for _, sk := range []string{"n-gone", "n-dying", "n-failed", "n-new"} {
		for _, c := range ch.called() {
			if c == "provisioner: worker-logs "+sk {
				t.Errorf("%s was fetched from", sk)
			}
		}
	}

	// Only the named workers (fetchkill's).
	ch2 := &fakeChannel{answer: ch.answer}
	s.ch = ch2
	var res2 FetchResult
	if err := m.fetchWorkerLogs(ctx, s, s.sys.ByRole(RoleProvisioner), map[string]bool{"n-03": true, "n-gone": true}, &res2); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"provisioner: nodes", "provisioner: worker-logs n-03"}, ch2.called()); diff != "" || res2.Workers != 1 {
		t.Errorf("fetch of n-03 and n-gone: %d worker(s), calls (-want +got):\n%s", res2.Workers, diff)
	}
}

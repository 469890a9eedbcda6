package mgmt

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/store"
)

// ErrBadTar: a worker's log tar holds an entry epumgmt will not write (an
// absolute path, "..", a link or device).
var ErrBadTar = errors.New("unsafe entry in the worker's log tar")

// fetchWorkerLogs fetches the logs of the workers of provs (only those
// whose node id is in only, when only is not nil) through their
// provisioner ('epu ctl worker-logs' on its host: only the provisioner
// holds the workers' keys) into <runlogdir>/<run>/<instance>/, at most
// maxFetches at once. Workers without a running instance (not launched,
// TERMINATING, TERMINATED, FAILED) are skipped; a failure is counted and
// printed, none stops the others. It adds to res.
func (m *Manager) fetchWorkerLogs(ctx context.Context, s *session, provs []Service, only map[string]bool, res *FetchResult) error {
	base, err := m.runDir(s.sys.Run.Name)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(maxFetches)
	for _, prov := range provs {
		if prov.State == string(store.StateTerminated) {
			continue
		}
		ns, err := nodes(ctx, s.ch, prov)
		if err != nil {
			res.Errors = append(res.Errors, err)
			m.warn("logfetch: the workers of %s: %v", prov.Name, err)
			continue
		}
		for _, n := range ns {
			if only != nil && !only[n.NodeID] {
				continue
			}
			if n.IaaSID == "" || n.State.Before(epu.Pending) || !n.State.Before(epu.Terminating) {
				res.Skipped = append(res.Skipped, fmt.Sprintf("worker %s: %s", n.NodeID, n.State))
				continue
			}
			g.Go(func() error {
				files, err := m.fetchWorker(gctx, s, prov, n, filepath.Join(base, n.IaaSID))
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					res.Errors = append(res.Errors, err)
					m.warn("logfetch: %v", err)
					return nil
				}
				res.Workers++
				res.Files += files
				return nil
			})
		}
	}
	_ = g.Wait() // every goroutine returns nil: failures are counted
	return ctx.Err()
}

// fetchWorker fetches one worker's logs and unpacks them into dir.
func (m *Manager) fetchWorker(ctx context.Context, s *session, prov Service, n epu.Node, dir string) (int, error) {
	b, err := s.ch.Ctl(ctx, prov, "worker-logs", n.NodeID)
	if err != nil {
		return 0, fmt.Errorf("worker %s (instance %s): %w", n.NodeID, n.IaaSID, err)
	}
	files, err := untar(bytes.NewReader(b), dir)
	if err != nil {
		return files, fmt.Errorf("worker %s (instance %s): unpack its logs into %s: %w", n.NodeID, n.IaaSID, dir, err)
	}
	return files, nil
}

// untar writes the regular files and directories of the tar r under dir
// (files 0600, directories 0700) and returns how many files it wrote. An
// absolute name, a name with "..", or an entry of another type (link,
// device) fails with ErrBadTar, before anything of it is written.
func untar(r io.Reader, dir string) (int, error) {
	tr := tar.NewReader(r)
	n := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("read the tar: %w", err)
		}
		name := h.Name
		if name == "" || path.IsAbs(name) || strings.Contains(name, `\`) ||
			slices.Contains(strings.Split(strings.TrimSuffix(name, "/"), "/"), "..") {
			return n, fmt.Errorf("%q: %w", name, ErrBadTar)
		}
		dst := filepath.Join(dir, filepath.FromSlash(path.Clean(name)))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(dst, 0o700); err != nil {
				return n, err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
				return n, err
			}
			f, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
			if err != nil {
				return n, err
			}
			_, err = io.Copy(f, tr)
			if err = errors.Join(err, f.Close()); err != nil {
				return n, err
			}
			n++
		default:
			return n, fmt.Errorf("%q (type %q): %w", name, h.Typeflag, ErrBadTar)
		}
	}
}

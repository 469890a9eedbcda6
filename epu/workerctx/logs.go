package workerctx

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/provisioner"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/remote"
)

var _ provisioner.LogFetcher = (*Contextualizer)(nil)

// listLogsScript lists the worker's log files, relative to $1, of under
// $2 bytes each: every regular file when $3 is "all", else the *.log and
// *.out files (a stage directory also holds bootconf.json, secrets).
const listLogsScript = `cd "$1" || exit 1
if [ "$3" = all ]; then find . -maxdepth 4 -type f -size -"$2"c -print
else find . -maxdepth 4 -type f -size -"$2"c \( -name '*.log' -o -name '*.out' \) -print; fi`

// FetchLogs writes the worker's log files as a tar stream to w
// (provisioner.LogFetcher): the regular files under the deployable type's
// log_dir, else the *.log and *.out files of the worker's stage
// directory, fetched over SFTP with the worker's key and its pinned host
// key. Files are at most provisioner.MaxLogBytes in all: those beyond
// are left out, as are those gone between the listing and their fetch. Names in the tar are relative, cleaned, without "..".
func (c *Contextualizer) FetchLogs(ctx context.Context, node epu.Node, inst iaas.Instance, dt provisioner.DeployableType, w io.Writer) error {
	ss, err := c.open(ctx, node, inst, dt)
	if err != nil {
		return err
	}
	defer ss.Close()
	wk, ex := ss.w, ss.ex
	dir, which := ss.stage, "logs"
	if dt.LogDir != "" {
		which = "all"
		dir = dt.LogDir
		if !path.IsAbs(dir) {
			dir = path.Join(ss.stage, dir)
		}
	}
	var list, errOut bytes.Buffer
	_, err = ex.Run(ctx, remote.Cmd{
		Argv:   []string{"/bin/sh", "-c", listLogsScript, "epu-worker-logs", dir, strconv.Itoa(provisioner.MaxLogBytes + 1), which},
		Stdout: &list, Stderr: &errOut,
	})
	if err != nil {
		return wk.secrets.maskError(fmt.Errorf("list the logs of %s on %s: %w: %s", dir, ex.Host(), err, strings.TrimSpace(errOut.String())))
	}
	tw := tar.NewWriter(w)
	total := 0
	now := time.Now()
	for _, rel := range strings.Split(strings.TrimSpace(list.String()), "\n") {
		rel = path.Clean(rel)
		if rel == "." || rel == "" || rel == ".." || strings.HasPrefix(rel, "../") || path.IsAbs(rel) {
			continue
		}
		b, err := ex.Fetch(ctx, path.Join(dir, rel))
		if errors.Is(err, fs.ErrNotExist) {
			continue // gone since the listing (a rotated log)
		}
		if err != nil {
			return fmt.Errorf("fetch %s from %s: %w", path.Join(dir, rel), ex.Host(), err)
		}
		if total+len(b) > provisioner.MaxLogBytes {
			continue // over the bound: left out
		}
		total += len(b)
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: rel, Size: int64(len(b)), Mode: 0o600, ModTime: now}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(b); err != nil {
			return err
		}
	}
	return tw.Close()
}

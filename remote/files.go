package remote

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// MaxKeptProgram is the largest program file Files keeps in memory; a
// larger one is opened and read at every use.
const MaxKeptProgram = 1 << 20

// settled is how old a file's modification time must be when Files reads
// it for the content to be kept: a file changed twice within one tick of
// the file system's clock, keeping its size, would show the same
// modification time after the second change (git's "racily clean" index
// entries). A file modified more recently is read again at its next use.
const settled = time.Second

// Files reads the local program files that RunProgram uploads, keeping the
// content of each small file (at most MaxKeptProgram bytes) by path: a
// kept file costs one stat per use instead of an open, reads and a close,
// and is read again when its size, modification time or identity (device
// and inode) changed since it was read, so every upload still sends the
// file as it is on disk then (a file modified less than a second before it
// was read is read again at its next use). A command that runs the same bootpgm and
// readypgm on 10,000 hosts reads each once. Safe for concurrent use; the
// zero value is ready. A nil *Files reads every file at every use.
type Files struct {
	mu   sync.Mutex
	kept map[string]keptFile
}

type keptFile struct {
	info os.FileInfo
	data []byte
}

// open returns a reader of the content of the file at path and the function
// that closes it. A file that cannot be read fails as os.Open fails.
func (c *Files) open(path string) (io.Reader, func() error, error) {
	if c == nil {
		return openFile(path)
	}
	if info, err := os.Stat(path); err == nil {
		c.mu.Lock()
		k, ok := c.kept[path]
		c.mu.Unlock()
		if ok && sameFile(k.info, info) {
			return bytes.NewReader(k.data), noClose, nil
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() || info.Size() > MaxKeptProgram {
		return f, f.Close, nil // not kept: read as it comes
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxKeptProgram+1))
	cerr := f.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	if cerr != nil {
		return nil, nil, fmt.Errorf("close %s: %w", path, cerr)
	}
	// A file that changed while it was read has a newer modification
	// time (or size) than info, so the next use reads it again.
	if int64(len(data)) == info.Size() && time.Since(info.ModTime()) > settled {
		c.mu.Lock()
		if c.kept == nil {
			c.kept = map[string]keptFile{}
		}
		c.kept[path] = keptFile{info: info, data: data}
		c.mu.Unlock()
	}
	return bytes.NewReader(data), noClose, nil
}

func openFile(path string) (io.Reader, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}

func noClose() error { return nil }

// sameFile reports whether b is the file a was, unchanged: same device and
// inode, size and modification time.
func sameFile(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime()) && a.Mode() == b.Mode()
}

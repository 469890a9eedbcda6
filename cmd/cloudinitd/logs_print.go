package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// logPrinter writes log files to w. With headers (more than one file) each
// file's text is introduced by "==> PATH <==" whenever the output passes
// to another file, as tail does.
type logPrinter struct {
	w       io.Writer
	headers bool
	last    string // the file whose text was printed last
	printed int    // files printed
}

func (p *logPrinter) header(path string) {
	if p.headers && p.last != path {
		if p.last != "" {
			fmt.Fprintln(p.w)
		}
		fmt.Fprintf(p.w, "==> %s <==\n", path)
	}
	p.last = path
}

// whole prints the file at path, if there is one.
func (p *logPrinter) whole(path string) {
	if !logExists(path) {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	p.header(path)
	p.printed++
	io.Copy(p.w, f)
}

// logTail is where logs -f is in one file.
type logTail struct {
	path    string
	f       *os.File
	partial []byte // a line not yet ended
}

// tail prints the complete lines added to t's file since the last call. A
// file that appears is read from its start; a file replaced by rotation
// (another inode, or shorter) is read again from its start.
func (p *logPrinter) tail(t *logTail) {
	if t.f != nil {
		fi, err1 := t.f.Stat()
		pi, err2 := os.Stat(t.path)
		pos, err3 := t.f.Seek(0, io.SeekCurrent)
		if err1 != nil || err2 != nil || err3 != nil || !os.SameFile(fi, pi) || pi.Size() < pos {
			p.drain(t) // the rest of the old file
			t.f.Close()
			t.f, t.partial = nil, nil
		}
	}
	if t.f == nil {
		if !logExists(t.path) {
			return
		}
		f, err := os.Open(t.path)
		if err != nil {
			return
		}
		t.f = f
	}
	p.drain(t)
}

// drain prints the complete lines t's file holds beyond what was read.
func (p *logPrinter) drain(t *logTail) {
	b, err := io.ReadAll(t.f)
	if err != nil || len(b) == 0 {
		return
	}
	b = append(t.partial, b...)
	i := bytes.LastIndexByte(b, '\n')
	if i < 0 {
		t.partial = b
		return
	}
	p.header(t.path)
	p.w.Write(b[:i+1])
	t.partial = append([]byte(nil), b[i+1:]...)
}

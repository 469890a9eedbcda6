package remote

import (
	"bytes"
	"io"
	"sync"
)

// output collects a command's stdout and stderr: it forwards complete lines
// to the caller's writers and keeps the last TailLines lines of both streams.
type output struct {
	mu   sync.Mutex
	tail []string
}

// stream returns a writer for one stream; its lines go to w (may be nil).
// Call flush on it when the stream ends.
func (o *output) stream(w io.Writer) *lineWriter {
	return &lineWriter{out: o, w: w}
}

func (o *output) add(line string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tail = append(o.tail, line)
	if len(o.tail) > TailLines {
		o.tail = append(o.tail[:0], o.tail[len(o.tail)-TailLines:]...)
	}
}

// finish flushes the command's two streams and returns a Result holding the
// tail; a command stopped at its deadline reports exit status -1.
func (o *output) finish(stdout, stderr *lineWriter, timedOut bool) Result {
	stdout.flush()
	stderr.flush()
	res := Result{Tail: o.lines()}
	if timedOut {
		res.ExitStatus = -1
	}
	return res
}

// lines returns a copy of the tail.
func (o *output) lines() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.tail...)
}

// lineWriter splits a byte stream into lines.
type lineWriter struct {
	out *output
	w   io.Writer
	mu  sync.Mutex
	buf []byte
}

// maxLine bounds a line kept in memory; longer ones are cut into pieces.
const maxLine = 64 << 10

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			if len(l.buf) < maxLine {
				break
			}
			i = maxLine - 1
		}
		l.emit(l.buf[:i+1])
		l.buf = l.buf[i+1:]
	}
	return len(p), nil
}

// flush emits a final unterminated line.
func (l *lineWriter) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.emit(append(l.buf, '\n'))
		l.buf = nil
	}
}

func (l *lineWriter) emit(line []byte) {
	l.out.add(string(bytes.TrimRight(line, "\r\n")))
	if l.w != nil {
		// A failing log writer must not fail or block the program.
		_, _ = l.w.Write(line)
	}
}

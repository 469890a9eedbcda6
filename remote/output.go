package remote

import (
	"bytes"
	"io"
	"sync"
	"unicode/utf8"
)

// output collects a command's stdout and stderr: it forwards complete lines
// to the caller's writers and keeps the last TailLines lines of both
// streams, TailBytes at most.
type output struct {
	mu   sync.Mutex
	tail []string
	size int // bytes in tail
}

// stream returns a writer for one stream; its lines go to w (may be nil).
// Call flush on it when the stream ends.
func (o *output) stream(w io.Writer) *lineWriter {
	return &lineWriter{out: o, w: w}
}

func (o *output) add(line string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(line) > TailBytes {
		line = cutLine(line)
	}
	o.tail = append(o.tail, line)
	o.size += len(line)
	drop := 0
	for len(o.tail)-drop > TailLines || o.size > TailBytes {
		o.size -= len(o.tail[drop])
		drop++
	}
	if drop > 0 {
		o.tail = append(o.tail[:0], o.tail[drop:]...)
	}
}

// cutLine keeps the end of a line longer than TailBytes: TailCut and then
// its last bytes, starting at a UTF-8 character boundary.
func cutLine(line string) string {
	rest := line[len(line)-(TailBytes-len(TailCut)):]
	for i := 0; i < utf8.UTFMax && i < len(rest); i++ {
		if utf8.RuneStart(rest[i]) {
			rest = rest[i:]
			break
		}
	}
	return TailCut + rest
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

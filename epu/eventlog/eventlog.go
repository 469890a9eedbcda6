package eventlog

import (
	"io"
	"sync"
	"time"
)

// DefaultPeriod is how long a line may wait in the buffer.
const DefaultPeriod = 50 * time.Millisecond

// maxBuffered is the size at which a write flushes at once.
const maxBuffered = 256 << 10

// Writer buffers what is written to it and writes it to the underlying
// writer from its own goroutine, at most a period after. It is safe for
// concurrent use; Close flushes and stops the goroutine.
type Writer struct {
	w      io.Writer
	period time.Duration

	mu     sync.Mutex // buf, closed, err
	buf    []byte
	closed bool
	err    error // the first failed write, returned by Write and Close

	wmu   sync.Mutex // one flush at a time, so lines stay in order
	spare []byte     // the buffer the last flush wrote, reused (wmu)

	kick chan struct{} // a first byte is buffered
	quit chan struct{}
	done chan struct{}
}

// New returns a Writer to w that flushes at most period after a write
// (DefaultPeriod when period ≤ 0).
func New(w io.Writer, period time.Duration) *Writer {
	if period <= 0 {
		period = DefaultPeriod
	}
	l := &Writer{w: w, period: period, kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go l.loop()
	return l
}

// Write buffers p (a whole line, as slog's handlers write them). After
// Close it writes p through at once, after what was buffered.
func (l *Writer) Write(p []byte) (int, error) {
	l.mu.Lock()
	if err := l.err; err != nil {
		l.mu.Unlock()
		return 0, err
	}
	first := len(l.buf) == 0
	l.buf = append(l.buf, p...)
	now := l.closed || len(l.buf) >= maxBuffered
	l.mu.Unlock()
	if now {
		return len(p), l.Flush()
	}
	if first {
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

// Flush writes what is buffered now.
func (l *Writer) Flush() error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.mu.Lock()
	b := l.buf
	l.buf = l.spare[:0]
	l.mu.Unlock()
	var err error
	if len(b) > 0 {
		_, err = l.w.Write(b)
	}
	l.spare = b
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil && l.err == nil {
		l.err = err
	}
	return l.err
}

// Close flushes, stops the flushing goroutine and returns the first
// write error. Writes after Close go through unbuffered. It does not
// close the underlying writer.
func (l *Writer) Close() error {
	l.mu.Lock()
	already := l.closed
	l.closed = true
	l.mu.Unlock()
	if !already {
		close(l.quit)
		<-l.done
	}
	return l.Flush()
}

// loop flushes a period after the first byte of each batch is buffered.
func (l *Writer) loop() {
	defer close(l.done)
	t := time.NewTimer(l.period)
	t.Stop()
	for {
		select {
		case <-l.quit:
			return
		case <-l.kick:
		}
		t.Reset(l.period)
		select {
		case <-l.quit:
			t.Stop()
			return
		case <-t.C:
		}
		_ = l.Flush() // the error is kept for Write and Close
	}
}

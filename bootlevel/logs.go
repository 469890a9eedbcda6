package bootlevel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/cloudinitd/cloudinitd/pipeline"
)

// LogMaxBytes is the size past which a service log is rotated: the file
// becomes <service>.log.1 (replacing an older one) and a new one starts, so
// one service's logs never take more than twice this on disk.
const LogMaxBytes = 8 << 20

// serviceLog is where the output of one service's programs goes: the file
// <LogDir>/<run>/<service>.log (directories 0700, file 0600, appended,
// rotated at LogMaxBytes) and KindOutput events. Each Write is one line
// (remote.Cmd's contract).
type serviceLog struct {
	e     *Engine
	ctx   context.Context
	level int
	svc   string
	path  string
	max   int64 // rotate past this size

	mu   sync.Mutex
	f    *os.File
	size int64
}

// openLog opens the log of svc; without a LogDir only events are produced.
func (e *Engine) openLog(ctx context.Context, level int, svc string) (*serviceLog, error) {
	l := &serviceLog{e: e, ctx: ctx, level: level, svc: svc, max: LogMaxBytes}
	if e.LogDir == "" {
		return l, nil
	}
	dir := filepath.Join(e.LogDir, e.DB.Name())
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("service log: %w", err)
	}
	l.path = filepath.Join(dir, svc+".log")
	f, err := OpenLog(l.path)
	if err != nil {
		return nil, fmt.Errorf("service log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("service log: %w", err)
	}
	l.f, l.size = f, fi.Size()
	return l, nil
}

// ErrLogFile is wrapped by OpenLog's error for a path that is a symbolic
// link or not a regular file.
var ErrLogFile = errors.New("not a regular file")

// OpenLog opens the log file at path for appending, creating it 0600. It
// does not follow a symbolic link at path (someone else's link could point
// anywhere), refuses anything but a regular file (a FIFO would block the
// run) and sets an existing file's mode to 0600 (logs hold program output).
func OpenLog(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o600)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("%s: %w: a symbolic link, which cloudinitd does not follow for its logs", path, ErrLogFile)
	}
	if errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.EISDIR) { // a FIFO without a reader, a directory
		return nil, fmt.Errorf("%s: %w: %w", path, ErrLogFile, err)
	}
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s: %w (%s)", path, ErrLogFile, fi.Mode().Type())
	}
	if err == nil && fi.Mode().Perm() != 0o600 {
		err = f.Chmod(0o600)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// LogFile returns the path of the service log of svc in this run, "" when
// the engine keeps no logs.
func (e *Engine) LogFile(svc string) string {
	if e.LogDir == "" {
		return ""
	}
	return filepath.Join(e.LogDir, e.DB.Name(), svc+".log")
}

// Printf writes one line to the file only (nothing is formatted when the
// engine keeps no logs).
func (l *serviceLog) Printf(format string, args ...any) {
	l.mu.Lock()
	open := l.f != nil
	l.mu.Unlock()
	if open {
		l.write(fmt.Sprintf(format, args...))
	}
}

// Quiet reports that Printf writes nothing: the engine keeps no logs, or
// the file was closed (pipeline.QuietLog). A closed log is never reopened.
func (l *serviceLog) Quiet() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f == nil
}

func (l *serviceLog) write(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return
	}
	line = l.e.secrets().Mask(line)
	rec := l.e.now().UTC().Format("2006-01-02T15:04:05.000Z") + " " + line + "\n"
	if l.size > 0 && l.size+int64(len(rec)) > l.max {
		l.rotate()
		if l.f == nil {
			return
		}
	}
	n, _ := l.f.WriteString(rec)
	l.size += int64(n)
}

// rotate moves the full log to <path>.1 and starts a new one. When that
// fails the log stops (the run goes on; the engine's logger says why).
func (l *serviceLog) rotate() {
	err := l.f.Close()
	l.f = nil
	if err == nil {
		err = os.Rename(l.path, l.path+".1")
	}
	var f *os.File
	if err == nil {
		f, err = OpenLog(l.path)
	}
	if err != nil {
		l.e.log().Warn("service log rotation failed; its log stops here", "service", l.svc, "err", err)
		return
	}
	l.f, l.size = f, 0
}

// Stream returns a writer for one output stream of one step's program
// (pipeline.Log).
func (l *serviceLog) Stream(step, name string) io.Writer {
	return lineWriter(func(line string) {
		line = strings.TrimRight(line, "\r\n")
		l.write(step + " " + name + ": " + line)
		l.e.emit(l.ctx, Event{Level: l.level, Service: l.svc, Kind: KindOutput, Step: step, Stream: name, Detail: line})
	})
}

// Close closes the file.
func (l *serviceLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

var _ pipeline.QuietLog = (*serviceLog)(nil)

type lineWriter func(string)

func (w lineWriter) Write(p []byte) (int, error) {
	for _, line := range strings.SplitAfter(string(p), "\n") {
		if line != "" {
			w(line)
		}
	}
	return len(p), nil
}

package bootlevel

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// serviceLog is where the output of one service's programs goes: the file
// <LogDir>/<run>/<service>.log (directories 0700, file 0600, appended) and
// KindOutput events. Each Write is one line (remote.Cmd's contract).
type serviceLog struct {
	e     *Engine
	ctx   context.Context
	level int
	svc   string
	path  string

	mu sync.Mutex
	f  *os.File
}

// openLog opens the log of svc; without a LogDir only events are produced.
func (e *Engine) openLog(ctx context.Context, level int, svc string) (*serviceLog, error) {
	l := &serviceLog{e: e, ctx: ctx, level: level, svc: svc}
	if e.LogDir == "" {
		return l, nil
	}
	dir := filepath.Join(e.LogDir, e.DB.Name())
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("service log: %w", err)
	}
	l.path = filepath.Join(dir, svc+".log")
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("service log: %w", err)
	}
	l.f = f
	return l, nil
}

// LogFile returns the path of the service log of svc in this run, "" when
// the engine keeps no logs.
func (e *Engine) LogFile(svc string) string {
	if e.LogDir == "" {
		return ""
	}
	return filepath.Join(e.LogDir, e.DB.Name(), svc+".log")
}

// Printf writes one line to the file only.
func (l *serviceLog) Printf(format string, args ...any) {
	l.write(fmt.Sprintf(format, args...))
}

func (l *serviceLog) write(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		ts := l.e.now().UTC().Format("2006-01-02T15:04:05.000Z")
		_, _ = fmt.Fprintf(l.f, "%s %s\n", ts, line)
	}
}

// stream returns a writer for one output stream of one step's program.
func (l *serviceLog) stream(step, name string) io.Writer {
	return lineWriter(func(line string) {
		line = strings.TrimRight(line, "\r\n")
		l.write(step + " " + name + ": " + line)
		l.e.emit(l.ctx, Event{Level: l.level, Service: l.svc, Kind: KindOutput, Step: step, Detail: line})
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

type lineWriter func(string)

func (w lineWriter) Write(p []byte) (int, error) {
	for _, line := range strings.SplitAfter(string(p), "\n") {
		if line != "" {
			w(line)
		}
	}
	return len(p), nil
}

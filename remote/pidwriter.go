package remote

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"sync"
)

// pidWriter sits in front of a command's stderr: it takes the first line,
// which the wrapper shell writes as pidMarker<pid>, records the pid and
// passes everything else through.
type pidWriter struct {
	w     io.Writer
	ready chan struct{} // closed once pid is known
	pid   int

	mu    sync.Mutex
	first []byte
	done  bool
}

func newPidWriter(w io.Writer) *pidWriter {
	return &pidWriter{w: w, ready: make(chan struct{})}
}

func (p *pidWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		return p.w.Write(b)
	}
	p.first = append(p.first, b...)
	i := bytes.IndexByte(p.first, '\n')
	if i < 0 && len(p.first) < 128 {
		p.mu.Unlock()
		return len(b), nil
	}
	p.done = true
	rest := p.first
	if i >= 0 {
		line := string(p.first[:i])
		if s, ok := strings.CutPrefix(line, pidMarker); ok {
			if n, err := strconv.Atoi(s); err == nil && n > 1 {
				p.pid = n
				close(p.ready)
				rest = p.first[i+1:]
			}
		}
	}
	p.first = nil
	p.mu.Unlock()
	if len(rest) > 0 {
		if _, err := p.w.Write(rest); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

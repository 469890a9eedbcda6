package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// Transcript is the -O FILE copy of what cloudinitd says to people
// (cloudinit.d's --outstream): every progress line, warning, error and
// hint whatever -q and -v say, every engine event in its line form at the
// highest verbosity (the live view is for the terminal only), and the
// results printed on stdout unless they are --json events. It is closed
// (nil file) until Open; writes to a closed Transcript are dropped, so
// callers write unconditionally. Safe for concurrent use.
//
// The Transcript of [ProcessEnv] is guarded by the process's Signals
// ([Signals.Guard]): a second signal's last words are the last thing in it.
type Transcript struct {
	mu      sync.Mutex
	f       *os.File
	w       io.Writer // f, guarded by signals
	release func()    // stops guarding f
	signals *Signals  // nil: f is not guarded
	results bool
	err     error               // the first failed write, reported by Close
	mask    func(string) string // applied to every write (secrets), if set
}

// SetMask makes every later write go through mask first (Env.MaskStreams
// sets it to mask secrets).
func (t *Transcript) SetMask(mask func(string) string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.mask = mask
}

// Open creates (or truncates) path, mode 0600 like the logs, and starts
// copying; results says whether stdout's results are copied too.
func (t *Transcript) Open(path string, results bool) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("-O: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.f, t.results = f, results
	t.w, t.release = t.signals.Guard(f)
	return nil
}

// Enabled reports whether the transcript is open.
func (t *Transcript) Enabled() bool {
	if t == nil {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.f != nil
}

// Write copies p to the file. A write error is kept for Close and never
// fails the command's own output.
func (t *Transcript) Write(p []byte) (int, error) {
	if t == nil {
		return len(p), nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.f != nil && t.err == nil {
		if t.mask != nil {
			p = []byte(t.mask(string(p)))
		}
		if _, err := t.w.Write(p); err != nil {
			t.err = fmt.Errorf("-O %s: %w", t.f.Name(), err)
		}
	}
	return len(p), nil
}

// Results is a writer for stdout's results: a copy goes to the transcript
// when it was opened with results.
func (t *Transcript) Results() io.Writer { return resultsWriter{t} }

type resultsWriter struct{ t *Transcript }

func (r resultsWriter) Write(p []byte) (int, error) {
	if r.t == nil {
		return len(p), nil
	}
	r.t.mu.Lock()
	copyIt := r.t.results
	r.t.mu.Unlock()
	if copyIt {
		return r.t.Write(p)
	}
	return len(p), nil
}

// Close closes the file and returns the first write error, if any.
func (t *Transcript) Close() error {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.f == nil {
		return t.err
	}
	t.release()
	err := t.f.Close()
	t.f, t.w = nil, nil
	if t.err != nil {
		return t.err
	}
	if err != nil {
		return fmt.Errorf("-O: %w", err)
	}
	return nil
}

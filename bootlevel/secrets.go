package bootlevel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
)

// minSecret is the length below which a value is not masked: masking
// every "1" or "ab" of the output would hide more than it protects.
// Shorter secrets are still kept out of the record and of argv by key.
const minSecret = 4

// mask replaces a secret in text.
const mask = "****"

// Secrets is the set of secret values a command has seen: values of
// secret keys (plan.IsSecret: credentials, *_password, *_secret, *_token)
// as the resolver hands them out, from the environment, the command line
// (-g), deps rows or bootout.json. Mask removes every one of them from a
// text, and so also from any value expanded from them
// (pre-${.iaas_secret}). The engine passes through it everything it
// shows or keeps: events and the journal, states, last_error, launch
// failures, service and run logs; the CLI uses the same value for what it
// prints and writes. Safe for concurrent use; the zero value is ready.
type Secrets struct {
	mu   sync.RWMutex
	vals []string // longest first, so a secret containing another goes whole
	rep  *strings.Replacer
}

// Add records v as secret (values shorter than 4 bytes are ignored).
func (s *Secrets) Add(v string) {
	if s == nil || len(v) < minSecret {
		return
	}
	s.mu.RLock()
	known := slices.Contains(s.vals, v)
	s.mu.RUnlock()
	if known {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Contains(s.vals, v) {
		return
	}
	s.vals = append(s.vals, v)
	slices.SortFunc(s.vals, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(s.vals))
	for _, x := range s.vals {
		pairs = append(pairs, x, mask)
	}
	s.rep = strings.NewReplacer(pairs...)
}

// Mask returns text with every secret replaced by ****.
func (s *Secrets) Mask(text string) string {
	if s == nil {
		return text
	}
	s.mu.RLock()
	rep := s.rep
	s.mu.RUnlock()
	if rep == nil {
		return text
	}
	return rep.Replace(text)
}

// Contains reports whether text holds a secret.
func (s *Secrets) Contains(text string) bool {
	if s == nil {
		return false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.vals {
		if strings.Contains(text, v) {
			return true
		}
	}
	return false
}

// MaskError returns err's text masked ("" for nil).
func (s *Secrets) MaskError(err error) string {
	if err == nil {
		return ""
	}
	return s.Mask(err.Error())
}

// Handler wraps h so that the message and every attribute value of each
// record are masked (run logs, diagnostics).
func (s *Secrets) Handler(h slog.Handler) slog.Handler { return maskHandler{h: h, s: s} }

type maskHandler struct {
	h slog.Handler
	s *Secrets
}

func (m maskHandler) Enabled(ctx context.Context, l slog.Level) bool { return m.h.Enabled(ctx, l) }

func (m maskHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, m.s.Mask(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(m.attr(a))
		return true
	})
	return m.h.Handle(ctx, out)
}

func (m maskHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, m.s.Mask(v.String()))
	case slog.KindGroup:
		g := v.Group()
		as := make([]any, 0, len(g))
		for _, x := range g {
			as = append(as, m.attr(x))
		}
		return slog.Group(a.Key, as...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, m.s.MaskError(err))
		}
		return slog.String(a.Key, m.s.Mask(v.String()))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

func (m maskHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = m.attr(a)
	}
	return maskHandler{h: m.h.WithAttrs(out), s: m.s}
}

func (m maskHandler) WithGroup(name string) slog.Handler {
	return maskHandler{h: m.h.WithGroup(name), s: m.s}
}

// ErrSecretArg is wrapped by the error of a program argument that holds a
// secret.
var ErrSecretArg = errors.New("a program argument holds a secret")

// noSecretArgs refuses program arguments that hold a secret (a value of a
// secret key, or one expanded from it): every user of the host sees a
// program's argv (ps, /proc/PID/cmdline). The word is named by position,
// never shown.
func (e *Engine) noSecretArgs(key string, args []string) error {
	for i, a := range args {
		if e.secrets().Contains(a) {
			return fmt.Errorf("%s: word %d: %w: arguments are visible to every user of the host (ps); "+
				"pass it in bootconf instead (bootconf.json and bootenv.sh are uploaded with mode 0600)", key, i+1, ErrSecretArg)
		}
	}
	return nil
}

package workerctx

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/cloudinitd/cloudinitd/pipeline"
)

// Event keys of the worker lines on Config.Logger.
const (
	EvStep    = "worker_step"    // a step of a worker's pipeline begins
	EvWarning = "worker_warning" // something worth telling, no failure
	EvLog     = "worker_log"     // a line of the worker's log: what a step did, a program's output
)

// sink implements the pipeline's StateSink, BootoutSink and Log for one
// worker: JSON events on the logger, secrets masked. The provisioner keeps
// the node's state itself (Contextualize's answer), so the transitions are
// only told.
type sink struct{ w *worker }

var (
	_ pipeline.StateSink   = sink{}
	_ pipeline.BootoutSink = sink{}
	_ pipeline.Log         = sink{}
)

func (s sink) log(ctx context.Context, level slog.Level, ev string, attrs ...any) {
	s.w.c.cfg.Logger.Log(ctx, level, ev, append([]any{"event", ev, "node_id", s.w.node.NodeID}, attrs...)...)
}

func (s sink) Step(ctx context.Context, step, detail string) {
	s.log(ctx, slog.LevelInfo, EvStep, "step", step, "detail", s.w.secrets.mask(detail))
}

func (s sink) Warn(ctx context.Context, step, detail string) {
	s.log(ctx, slog.LevelWarn, EvWarning, "step", step, "detail", s.w.secrets.mask(detail))
}

func (s sink) Running(ctx context.Context, hostname string) error {
	s.log(ctx, slog.LevelInfo, EvStep, "step", pipeline.StepRunning, "detail", hostname)
	return nil
}

func (s sink) Hostname(ctx context.Context, hostname string) error {
	s.log(ctx, slog.LevelInfo, EvStep, "step", pipeline.StepHostname, "detail", hostname)
	return nil
}

func (s sink) Booting(context.Context) error        { return nil }
func (s sink) Contextualized(context.Context) error { return nil }
func (s sink) Ready(context.Context, bool) error    { return nil }

func (s sink) Bootout(_ context.Context, as []pipeline.Attr, _ string) error {
	s.w.setBootout(as)
	return nil
}

func (s sink) Printf(format string, args ...any) {
	s.log(context.Background(), slog.LevelDebug, EvLog, "line", s.w.secrets.mask(fmt.Sprintf(format, args...)))
}

func (s sink) Stream(step, stream string) io.Writer {
	return lineWriter(func(line string) {
		s.log(context.Background(), slog.LevelDebug, EvLog, "step", step, "stream", stream,
			"line", s.w.secrets.mask(strings.TrimRight(line, "\r\n")))
	})
}

type lineWriter func(string)

func (f lineWriter) Write(p []byte) (int, error) {
	for _, line := range strings.SplitAfter(string(p), "\n") {
		if line != "" {
			f(line)
		}
	}
	return len(p), nil
}

// masker holds a worker's secret values (of secret keys: plan.IsSecret)
// and masks them as ****; values under 4 bytes are not masked.
type masker struct {
	mu   sync.Mutex
	vals []string
}

func (m *masker) add(v string) {
	if len(v) < 4 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !slices.Contains(m.vals, v) {
		m.vals = append(m.vals, v)
		slices.SortFunc(m.vals, func(a, b string) int { return len(b) - len(a) })
	}
}

func (m *masker) mask(s string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range m.vals {
		s = strings.ReplaceAll(s, v, "****")
	}
	return s
}

func (m *masker) contains(s string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.ContainsFunc(m.vals, func(v string) bool { return strings.Contains(s, v) })
}

// maskError is err with its text masked, still matching what err
// matches (errors.Is, errors.As).
func (m *masker) maskError(err error) error {
	if err == nil {
		return nil
	}
	return &maskedError{msg: m.mask(err.Error()), err: err}
}

type maskedError struct {
	msg string
	err error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }

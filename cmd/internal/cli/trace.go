package cli

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/remote"
)

// Tracer writes the -s (--logstack) trace, cloudinit.d's stacktrace.log:
// one line at the entry and one at the exit of every engine command, every
// IaaS driver call and every remote operation (connect, prepare, upload,
// run, fetch), the exit with its duration and its error. Arguments of
// programs are not traced, only their number: they may carry values a
// plan would not show. Safe for concurrent use.
type Tracer struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

// NewTracer traces to w.
func NewTracer(w io.Writer) *Tracer { return &Tracer{w: w, now: time.Now} }

// Enter writes the entry line of what and returns the function that writes
// its exit line with err.
func (t *Tracer) Enter(what string) func(err error) {
	start := t.now()
	t.line("enter", what, "")
	return func(err error) {
		res := "ok"
		if err != nil {
			res = "error: " + strings.ReplaceAll(err.Error(), "\n", "; ")
		}
		t.line("exit ", what, fmt.Sprintf(" (%s): %s", t.now().Sub(start).Round(time.Microsecond), res))
	}
}

func (t *Tracer) line(kind, what, tail string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.w, "%s %s %s%s\n", t.now().UTC().Format(time.RFC3339Nano), kind, what, tail)
}

// TraceDriver traces every call of d. The optional abilities of d stay
// reachable through Unwrap (iaas.As).
func TraceDriver(d iaas.Driver, t *Tracer) iaas.Driver { return &tracedDriver{Driver: d, t: t} }

type tracedDriver struct {
	iaas.Driver
	t *Tracer
}

func (d *tracedDriver) Unwrap() iaas.Driver { return d.Driver }

func (d *tracedDriver) Launch(ctx context.Context, spec iaas.LaunchSpec) (iaas.Instance, error) {
	exit := d.t.Enter(fmt.Sprintf("driver %s Launch run=%s service=%s attempt=%d", d.Name(), spec.Run, spec.Service, spec.Attempt))
	in, err := d.Driver.Launch(ctx, spec)
	if err == nil {
		d.t.line("     ", fmt.Sprintf("driver %s Launch service=%s", d.Name(), spec.Service), " -> "+in.ID)
	}
	exit(err)
	return in, err
}

func (d *tracedDriver) Describe(ctx context.Context, refs ...iaas.Ref) ([]iaas.Instance, error) {
	exit := d.t.Enter(fmt.Sprintf("driver %s Describe %s", d.Name(), ids(refs)))
	out, err := d.Driver.Describe(ctx, refs...)
	exit(err)
	return out, err
}

func (d *tracedDriver) Terminate(ctx context.Context, refs ...iaas.Ref) error {
	exit := d.t.Enter(fmt.Sprintf("driver %s Terminate %s", d.Name(), ids(refs)))
	err := d.Driver.Terminate(ctx, refs...)
	exit(err)
	return err
}

func ids(refs []iaas.Ref) string {
	s := make([]string, len(refs))
	for i, r := range refs {
		s[i] = r.ID
	}
	return "[" + strings.Join(s, " ") + "]"
}

// TraceConnector traces Connect and every operation of the executors c
// returns.
func TraceConnector(c bootlevel.Connector, t *Tracer) bootlevel.Connector {
	return &tracedConnector{Connector: c, t: t}
}

type tracedConnector struct {
	bootlevel.Connector
	t *Tracer
}

func (c *tracedConnector) Connect(ctx context.Context, tg bootlevel.Target) (remote.Executor, error) {
	where := tg.Host
	if tg.Local {
		where = "local"
	}
	exit := c.t.Enter(fmt.Sprintf("remote Connect service=%s host=%s", tg.Service, where))
	ex, err := c.Connector.Connect(ctx, tg)
	exit(err)
	if err != nil {
		return nil, err
	}
	return &tracedExecutor{Executor: ex, t: c.t, svc: tg.Service}, nil
}

type tracedExecutor struct {
	remote.Executor
	t   *Tracer
	svc string
}

func (x *tracedExecutor) op(name string) func(error) {
	return x.t.Enter(fmt.Sprintf("remote %s service=%s host=%s", name, x.svc, x.Host()))
}

func (x *tracedExecutor) Prepare(ctx context.Context, stageDir string) error {
	exit := x.op("Prepare " + stageDir)
	err := x.Executor.Prepare(ctx, stageDir)
	exit(err)
	return err
}

func (x *tracedExecutor) Upload(ctx context.Context, dst string, data io.Reader, mode fs.FileMode) error {
	exit := x.op("Upload " + dst)
	err := x.Executor.Upload(ctx, dst, data, mode)
	exit(err)
	return err
}

func (x *tracedExecutor) Run(ctx context.Context, cmd remote.Cmd) (remote.Result, error) {
	prog := ""
	if len(cmd.Argv) > 0 {
		prog = cmd.Argv[0]
	}
	exit := x.op(fmt.Sprintf("Run %s (%d arguments)", prog, max(len(cmd.Argv)-1, 0)))
	res, err := x.Executor.Run(ctx, cmd)
	exit(err)
	return res, err
}

func (x *tracedExecutor) Fetch(ctx context.Context, p string) ([]byte, error) {
	exit := x.op("Fetch " + p)
	b, err := x.Executor.Fetch(ctx, p)
	exit(err)
	return b, err
}

package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// Describe reads each instance's record and checks its server: alive (pid
// and start time), ready, and answering on its address. Unknown ids come
// back Terminated with an ErrNotFound error. The call itself fails only when
// ctx ends.
func (d *Driver) Describe(ctx context.Context, refs ...iaas.Ref) ([]iaas.Instance, error) {
	out := make([]iaas.Instance, 0, len(refs))
	for _, ref := range refs {
		if err := ctx.Err(); err != nil {
			return nil, classify("describe", iaas.ErrTransient, err)
		}
		out = append(out, d.describeOne(ctx, ref))
	}
	return out, nil
}

func (d *Driver) describeOne(ctx context.Context, ref iaas.Ref) iaas.Instance {
	dir, m, err := d.find(ref)
	if err != nil {
		return iaas.Instance{ID: ref.ID, State: iaas.StateTerminated, Handle: ref.Handle,
			Err: &iaas.CloudError{Class: iaas.ErrNotFound, Op: "describe", Message: fmt.Sprintf("instance %s: %v", ref.ID, err)}}
	}
	d.kids.reap(m.PID) // our own server, if it ended while we run
	alive := processAlive(m.PID, m.PIDStart)
	switch m.State {
	case stateTerminated:
		return d.instance(dir, m, iaas.StateTerminated, nil)
	case stateFailed:
		return d.instance(dir, m, iaas.StateFailed, &iaas.CloudError{Class: iaas.ErrPermanent, Op: "launch", Message: m.Error})
	case stateTerminating:
		if procs, err := markedProcesses(m.ID); err == nil && len(procs) == 0 && !alive {
			if m2, err := d.updateMeta(ctx, dir, func(m *meta) { m.State = stateTerminated }); err == nil {
				m = m2
			}
			return d.instance(dir, m, iaas.StateTerminated, nil)
		}
		return d.instance(dir, m, iaas.StateTerminating, nil)
	}
	_, readyErr := os.Stat(filepath.Join(dir, readyFile))
	ready := readyErr == nil
	if !alive {
		if m.PID == 0 && time.Since(m.LaunchedAt) < time.Minute {
			// Launch is still between recording and starting the server.
			return d.instance(dir, m, iaas.StatePending, nil)
		}
		// A server that ran and then vanished was killed or crashed: its
		// log says nothing the user needs here. One that never got ready
		// failed to start, and the end of its log says why.
		msg := fmt.Sprintf("%s instance server exited: it was killed or crashed (log: %s)", m.ID, filepath.Join(dir, logFile))
		class := iaas.ErrTransient
		if !ready {
			class = iaas.ErrPermanent
			msg = fmt.Sprintf("%s instance server exited before it was ready (%s)%s", m.ID, filepath.Join(dir, logFile), logTail(dir))
		}
		return d.instance(dir, m, iaas.StateFailed, &iaas.CloudError{Class: class, Op: "describe", Message: msg})
	}
	if ready && answers(ctx, m.Addr, m.Port) {
		return d.instance(dir, m, iaas.StateRunning, nil)
	}
	return d.instance(dir, m, iaas.StatePending, nil)
}

// find locates an instance's directory: from the handle when it names one
// holding this id, otherwise in the state directory.
func (d *Driver) find(ref iaas.Ref) (string, meta, error) {
	var h handle
	if len(ref.Handle) > 0 && json.Unmarshal(ref.Handle, &h) == nil && h.Dir != "" {
		if m, err := readMeta(h.Dir); err == nil && m.ID == ref.ID {
			return h.Dir, m, nil
		}
	}
	if !strings.HasPrefix(ref.ID, idPrefix) || strings.ContainsAny(ref.ID, `/\`) || ref.ID == idPrefix {
		return "", meta{}, fs.ErrNotExist
	}
	dir := filepath.Join(d.stateDir, ref.ID)
	m, err := readMeta(dir)
	if err != nil {
		return "", m, err
	}
	if m.ID != ref.ID {
		return "", m, errors.New("record names another instance")
	}
	return dir, m, nil
}

// answers reports whether something accepts TCP connections at addr:port.
// It asks the kernel which listening socket a connection there would
// reach (sock_diag, diagListening): the same answer as a connection, whose
// handshake the kernel completes on the listener's behalf, without one for
// the server to accept and close — a boot of n services described each
// instance twice, and every probe woke its server. Where socket
// diagnostics are not available, it dials.
func answers(ctx context.Context, addr string, port int) bool {
	if ip, err := netip.ParseAddr(addr); err == nil && ip.Is4() && port > 0 && port < 1<<16 {
		if ok, err := diagListening(netip.AddrPortFrom(ip, uint16(port))); err == nil {
			return ok
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var dl net.Dialer
	c, err := dl.DialContext(ctx, "tcp", net.JoinHostPort(addr, strconv.Itoa(port)))
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// logTail returns the last lines of the server log, for error messages.
func logTail(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, logFile))
	b = bytes.TrimSpace(b)
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 400 {
		b = b[len(b)-400:]
	}
	return ": " + string(b)
}

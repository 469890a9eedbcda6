package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// UnhealthyExit is the only exit status of a health check script that
// means "unhealthy" (Jetpack's rule: a buggy script cannot kill nodes).
const UnhealthyExit = 254

// Verdict is the outcome of one health round.
type Verdict struct {
	Time      time.Time `json:"time"`
	Healthy   bool      `json:"healthy"`
	Reasons   []string  `json:"reasons,omitempty"`    // why not healthy
	Since     time.Time `json:"since,omitzero"`       // when this unhealthy spell began
	KeptAlive string    `json:"kept_alive,omitempty"` // "forever" or the end of the keepalive: the verdict is not reported
	Checks    []Check   `json:"checks"`
}

// Check is one check of a round.
type Check struct {
	Name    string `json:"name"`    // "healthcheck.d/NAME", "converge_timeout", "scheduled_shutdown"
	Outcome string `json:"outcome"` // ok, unhealthy, failed (logged only), timeout (killed, logged only)
	Detail  string `json:"detail,omitempty"`
}

// Reported reports whether the verdict reaches the controller: unhealthy
// and not kept alive.
func (v Verdict) Reported() bool { return !v.Healthy && v.KeptAlive == "" }

// Reason joins the reasons.
func (v Verdict) Reason() string { return strings.Join(v.Reasons, "; ") }

// healthRound runs the checks, records the verdict and, when it is
// reported, asks the controller to stop the node.
func (a *Agent) healthRound(ctx context.Context) {
	now := a.clock.Now()
	v := Verdict{Time: now, Healthy: true, Checks: []Check{}}
	add := func(c Check) {
		v.Checks = append(v.Checks, c)
		if c.Outcome == "unhealthy" {
			v.Healthy = false
			v.Reasons = append(v.Reasons, c.Name+": "+c.Detail)
		}
	}
	for _, c := range a.runScripts(ctx) {
		add(c)
	}
	add(a.convergeCheck(ctx, now))
	add(a.scheduledCheck(now))
	until, forever, ok, err := a.home.KeepAliveUntil()
	switch {
	case err != nil:
		a.log.Warn("keepalive file unreadable; ignored", "event", "keepalive_error", "error", err.Error())
	case ok && forever:
		v.KeptAlive = "forever"
	case ok && now.Before(until):
		v.KeptAlive = until.UTC().Format(time.RFC3339)
	}
	a.mu.Lock()
	prev := a.verdict
	if !v.Healthy {
		v.Since = prev.Since
		if prev.Healthy || v.Since.IsZero() {
			v.Since = now
		}
	}
	a.verdict = v
	a.mu.Unlock()
	if b, err := json.MarshalIndent(v, "", "  "); err == nil {
		if err := writePrivate(a.home.healthFile(), b); err != nil {
			a.log.Warn("health verdict not written", "event", "health_file_error", "error", err.Error())
		}
	}
	switch {
	case v.Healthy:
		if !prev.Healthy {
			a.log.Info("healthy again", "event", "healthy")
		}
	case !v.Reported():
		a.log.Warn("unhealthy, kept alive: not reported", "event", "unhealthy_kept_alive", "reason", v.Reason(), "keepalive", v.KeptAlive)
	default:
		a.log.Error("unhealthy: reported to the controller", "event", "unhealthy", "reason", v.Reason())
		a.heartbeat(ctx) // the controller learns it now, not a heartbeat period later
		a.askStop(ctx, v)
	}
}

// runScripts runs every executable of healthcheck.d, in lexicographic
// order, each within healthcheck_timeout. Only exit 254 is unhealthy; any
// other failure, and a script killed at its timeout, is logged.
func (a *Agent) runScripts(ctx context.Context) []Check {
	dir := a.home.HealthcheckDir()
	ents, err := os.ReadDir(dir)
	if err != nil {
		a.log.Warn("healthcheck.d unreadable", "event", "healthcheck_error", "error", err.Error())
		return nil
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	var out []Check
	for _, e := range ents {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || info.Mode().Perm()&0o111 == 0 || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		name := "healthcheck.d/" + e.Name()
		r := a.run(ctx, filepath.Join(dir, e.Name()), a.cfg.HealthcheckTimeout.D())
		c := Check{Name: name, Outcome: "ok"}
		switch {
		case r.timedOut:
			c.Outcome, c.Detail = "timeout", fmt.Sprintf("killed after %v (not counted as unhealthy)", a.cfg.HealthcheckTimeout.D())
			a.log.Warn("health check timed out and was killed; not counted as unhealthy", "event", "healthcheck_timeout",
				"script", name, "timeout", a.cfg.HealthcheckTimeout.D().String(), "output", r.output)
		case r.exit == UnhealthyExit:
			c.Outcome, c.Detail = "unhealthy", fmt.Sprintf("exit %d", r.exit)
			a.log.Error("health check says unhealthy", "event", "healthcheck_unhealthy", "script", name, "output", r.output)
		case r.err != nil:
			c.Outcome, c.Detail = "failed", r.err.Error()
			a.log.Warn("health check failed (only exit 254 means unhealthy)", "event", "healthcheck_failed",
				"script", name, "exit", r.exit, "error", r.err.Error(), "output", r.output)
		}
		out = append(out, c)
	}
	return out
}

// convergeCheck: a node whose ready program has not passed within
// converge_timeout of the agent's start is unhealthy. The ready program
// runs each round until it passed once; without one, the check is off.
func (a *Agent) convergeCheck(ctx context.Context, now time.Time) Check {
	c := Check{Name: "converge_timeout", Outcome: "ok"}
	if a.cfg.ReadyProgram == "" {
		c.Detail = "no ready program"
		return c
	}
	if _, err := os.Stat(a.home.convergedFile()); err == nil {
		return c
	}
	if r := a.run(ctx, a.cfg.ReadyProgram, a.cfg.HealthcheckTimeout.D()); r.err == nil {
		if err := writePrivate(a.home.convergedFile(), []byte(now.UTC().Format(time.RFC3339)+"\n")); err != nil {
			a.log.Warn("converged marker not written", "event", "converge_error", "error", err.Error())
		}
		a.log.Info("converged: the ready program passed", "event", "converged")
		return c
	}
	if age := now.Sub(a.start); age > a.cfg.ConvergeTimeout.D() {
		c.Outcome, c.Detail = "unhealthy", fmt.Sprintf("the ready program has not passed %v after the agent started (converge_timeout %v)", age, a.cfg.ConvergeTimeout.D())
	}
	return c
}

// scheduledCheck: the earliest scheduled_shutdown marker whose time has
// come makes the node unhealthy.
func (a *Agent) scheduledCheck(now time.Time) Check {
	c := Check{Name: "scheduled_shutdown", Outcome: "ok"}
	at, reason, ok, err := a.home.ScheduledShutdown()
	if err != nil {
		a.log.Warn("scheduled_shutdown marker unreadable; ignored", "event", "scheduled_shutdown_error", "error", err.Error())
	}
	if ok && !now.Before(at) {
		c.Outcome, c.Detail = "unhealthy", fmt.Sprintf("%s (scheduled for %s)", reason, at.UTC().Format(time.RFC3339))
	}
	return c
}

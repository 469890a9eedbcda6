package mgmt

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Action is one of epumgmt's actions.
type Action string

// Actions (reference §1.3; inspect and killall are aliases).
const (
	ActionStatus       Action = "status"
	ActionFindWorkers  Action = "find-workers"
	ActionLogFetch     Action = "logfetch"
	ActionKillRun      Action = "killrun"
	ActionFetchKill    Action = "fetchkill"
	ActionReconfigureN Action = "reconfigure-n"
	ActionEnable       Action = "enable"
	ActionAutoscale    Action = "autoscale"
)

// Actions lists the actions in the order help shows them.
func Actions() []Action {
	return []Action{ActionStatus, ActionFindWorkers, ActionLogFetch, ActionKillRun, ActionFetchKill,
		ActionReconfigureN, ActionEnable, ActionAutoscale}
}

// Aliases maps each alias to its action.
func Aliases() map[string]Action {
	return map[string]Action{"inspect": ActionStatus, "killall": ActionKillRun}
}

// notPorted are the original's actions epumgmt does not have, with why.
func notPorted() map[string]string {
	return map[string]string{
		"load":                  "epumgmt keeps no database of its own: every action reads the cloudinitd record",
		"update-events":         "events are read from the fetched logs by find-workers and status",
		"find-versions":         "the daemons are one program whose version 'epu --version' prints",
		"execute-workload-test": "the original's evaluation tooling was not ported",
		"generate-graph":        "the original's evaluation tooling was not ported",
		"torque-logfetch":       "the original's torque plans were not ported",
	}
}

// ErrUsage marks a mistake on the command line (an unknown action, a bad
// --newn or --killnum).
var ErrUsage = errors.New("usage")

func usagef(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUsage}, args...)...)
}

// ParseAction reads an action as typed: trimmed and case-folded, an alias
// resolved. Anything else is an ErrUsage error listing the actions.
func ParseAction(s string) (Action, error) {
	a := strings.ToLower(strings.TrimSpace(s))
	for _, x := range Actions() {
		if string(x) == a {
			return x, nil
		}
	}
	if x, ok := Aliases()[a]; ok {
		return x, nil
	}
	if why, ok := notPorted()[a]; ok {
		return "", usagef("the action %s is not available: %s; the actions are %s", a, why, ActionList())
	}
	if a == "" {
		return "", usagef("which action? the actions are %s", ActionList())
	}
	return "", usagef("unknown action %q; the actions are %s", s, ActionList())
}

// ActionList is the actions and aliases as a sentence.
func ActionList() string {
	var names []string
	for _, a := range Actions() {
		names = append(names, string(a))
	}
	return strings.Join(names, ", ") + " (inspect = status, killall = killrun)"
}

// NewN is one item of --newn: a controller (SERVICE or SERVICE/DOMAIN, or
// a domain name alone) and its new preserve_n.
type NewN struct {
	Controller string
	N          int
}

// ParseNewN reads --newn "ctrl:N[,ctrl:N...]" (reference §1.11): each item
// exactly two fields, N a whole number from 0.
func ParseNewN(s string) ([]NewN, error) {
	if strings.TrimSpace(s) == "" {
		return nil, usagef("--newn is empty: want CONTROLLER:N[,CONTROLLER:N...]")
	}
	var out []NewN
	for _, item := range strings.Split(s, ",") {
		f := strings.Split(strings.TrimSpace(item), ":")
		if len(f) != 2 || strings.TrimSpace(f[0]) == "" {
			return nil, usagef("--newn: %q is not CONTROLLER:N", item)
		}
		n, err := strconv.Atoi(strings.TrimSpace(f[1]))
		if err != nil || n < 0 {
			return nil, usagef("--newn: %q: N must be a whole number from 0", item)
		}
		out = append(out, NewN{Controller: strings.TrimSpace(f[0]), N: n})
	}
	return out, nil
}

// Options are an action and its options, as the command line gave them.
type Options struct {
	Action     Action
	Run        string
	JSON       bool
	NoUpdate   bool          // status: print what was recorded last, no remote call
	NoFetch    bool          // killrun: no log fetch first
	Force      bool          // killrun: terminate what the sweep finds
	Controller string        // fetchkill
	KillNum    int           // fetchkill: -k
	NewN       []NewN        // reconfigure-n
	Timeout    time.Duration // killrun: terminate_all's wait (300 s when zero)
	// autoscale: a target for one array (none: the arrays are shown).
	InstanceCount, CoreCount *int
	Array                    string
}

// Validate checks what each action needs, before anything is opened.
func (o Options) Validate() error {
	if o.Run == "" {
		return usagef("the %s action requires the --name argument (-n RUN)", o.Action)
	}
	switch o.Action {
	case ActionFetchKill:
		if o.Controller == "" {
			return usagef("fetchkill requires a controller: --controller SERVICE[/DOMAIN]")
		}
		if o.KillNum < 1 {
			return usagef("fetchkill requires --killnum (-k) N, a whole number from 1")
		}
	case ActionAutoscale:
		if o.Controller == "" {
			return usagef("autoscale requires a controller: --controller SERVICE[/DOMAIN]")
		}
		if o.InstanceCount != nil && o.CoreCount != nil {
			return usagef("autoscale: --instancecount or --corecount, not both")
		}
		if o.Array != "" && o.InstanceCount == nil && o.CoreCount == nil {
			return usagef("autoscale: --array goes with --instancecount or --corecount")
		}
		for _, n := range []*int{o.InstanceCount, o.CoreCount} {
			if n != nil && *n < 0 {
				return usagef("autoscale: counts are whole numbers from 0")
			}
		}
	case ActionReconfigureN:
		if len(o.NewN) == 0 {
			return usagef("reconfigure-n requires --newn CONTROLLER:N[,CONTROLLER:N...]")
		}
	}
	if o.Timeout < 0 {
		return usagef("--timeout must not be negative")
	}
	return nil
}

// Do runs the action of o.
func (m *Manager) Do(ctx context.Context, o Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	switch o.Action {
	case ActionStatus:
		return m.Status(ctx, o)
	case ActionFindWorkers:
		return m.FindWorkers(ctx, o)
	case ActionLogFetch:
		return m.LogFetch(ctx, o)
	case ActionKillRun:
		return m.KillRun(ctx, o)
	case ActionFetchKill:
		return m.FetchKill(ctx, o)
	case ActionReconfigureN:
		return m.ReconfigureN(ctx, o)
	case ActionEnable:
		return m.Enable(ctx, o)
	case ActionAutoscale:
		return m.Autoscale(ctx, o)
	}
	return usagef("unknown action %q; the actions are %s", o.Action, ActionList())
}

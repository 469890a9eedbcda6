package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	cl "github.com/cloudinitd/cloudinitd/cmd/internal/cli"
	"github.com/cloudinitd/cloudinitd/epu/api"
)

// APIURLFile is the file of a daemon's state directory that holds the URL
// of its API, written once it listens.
const apiURLFile = "api_url"

// stateDirEnv names the state directory when --state-dir is not given.
const stateDirEnv = "EPU_STATE_DIR"

// ctlCall is one call of 'epu ctl': what it asks which daemon.
type ctlCall struct {
	name   string
	args   string // the usage of its arguments: "DOMAIN KEY=VALUE..."
	daemon string // "provisioner", "controller", or "daemon" for either
	usage  string
	flags  []string // the ctl flags it takes besides --state-dir
	// min and max bound the number of arguments (max -1: no bound).
	min, max int
	run      func(ctx context.Context, t ctlTarget, args []string) (any, error)
}

// ctlTarget is the daemon a call goes to and what the call may use.
type ctlTarget struct {
	client  *api.Client
	env     cl.Env
	wait    bool
	timeout time.Duration
	poll    time.Duration // terminate-all --wait's period
}

// runCtl is 'epu ctl [--state-dir DIR] CALL [ARGS]': one call on the
// daemon whose state directory is DIR, its answer as JSON on stdout.
func runCtl(ctx context.Context, env cl.Env, self string, args []string) error {
	fs := flag.NewFlagSet("ctl", flag.ContinueOnError)
	stateDir := fs.String("state-dir", "", "")
	wait := fs.Bool("wait", false, "")
	timeout := fs.Duration("timeout", 0, "")
	pos, err := parseEpuFlags(fs, self, "ctl", args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return epuUsage(self, "%s ctl needs a CALL: %s", self, strings.Join(ctlCallNames(), ", "))
	}
	call := findCtlCall(pos[0])
	if call == nil {
		err := epuUsage(self, "unknown ctl call %q", pos[0])
		if s := cl.Suggest(pos[0], ctlCallNames()); s != "" {
			return cl.WithHint(err, fmt.Sprintf("did you mean %q?", s), "run '"+self+" help ctl' for the calls")
		}
		return cl.WithHint(err, "the calls are: "+strings.Join(ctlCallNames(), ", "))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, f := range []string{"wait", "timeout"} {
		if given[f] && !slices.Contains(call.flags, f) {
			return epuUsage(self, "the ctl call %s does not take --%s", call.name, f)
		}
	}
	if given["timeout"] && !*wait {
		return epuUsage(self, "--timeout goes with --wait")
	}
	if *timeout < 0 {
		return epuUsage(self, "--timeout takes a duration above 0 (10s, 5m)")
	}
	cargs := pos[1:]
	if len(cargs) < call.min || (call.max >= 0 && len(cargs) > call.max) {
		return epuUsage(self, "usage: %s ctl %s %s", self, call.name, call.args)
	}
	dir := *stateDir
	if dir == "" {
		if v, ok := env.LookupEnv(stateDirEnv); ok && v != "" {
			dir = v
		} else {
			return epuUsage(self, "which daemon? give --state-dir DIR (the daemon's state_dir) or set %s", stateDirEnv)
		}
	}
	client, err := ctlClient(env.ExpandHome(dir), call.daemon)
	if err != nil {
		return err
	}
	if *timeout == 0 {
		*timeout = terminateAllTimeout
	}
	t := ctlTarget{client: client, env: env, wait: *wait, timeout: *timeout, poll: time.Second}
	answer, err := call.run(ctx, t, cargs)
	if answer != nil {
		if werr := writeCtlJSON(env, answer); werr != nil && err == nil {
			err = werr
		}
	}
	return ctlError(err, call, dir)
}

// ctlClient is the client of the daemon whose state directory is dir: its
// URL from api_url, its token from the 0600 token file.
func ctlClient(dir, daemon string) (*api.Client, error) {
	b, err := os.ReadFile(filepath.Join(dir, apiURLFile))
	if err != nil {
		var hint string
		switch {
		case errors.Is(err, os.ErrNotExist):
			if _, serr := os.Stat(dir); serr != nil {
				hint = "there is no directory " + dir + ": --state-dir names the state_dir of the " + daemon + "'s configuration"
			} else {
				hint = dir + " has no api_url: it is not a daemon's state directory, or its " + daemon + " has not started listening (see its log there)"
			}
		default:
			hint = "ctl reads the daemon's files; run it as the user the " + daemon + " runs as"
		}
		return nil, cl.WithHint(fmt.Errorf("read the %s's address: %w", daemon, err), hint)
	}
	url := strings.TrimSpace(string(b))
	if url == "" {
		return nil, fmt.Errorf("read the %s's address: %s is empty", daemon, filepath.Join(dir, apiURLFile))
	}
	tok, err := api.ReadToken(dir)
	if err != nil {
		return nil, err
	}
	return &api.Client{BaseURL: url, Token: tok, HTTP: &http.Client{Timeout: 30 * time.Second}}, nil
}

// ctlError says what a failed call means for the one who typed it.
func ctlError(err error, call *ctlCall, dir string) error {
	switch {
	case err == nil:
		return nil
	case api.IsStatus(err, http.StatusUnauthorized):
		return cl.WithHint(fmt.Errorf("ctl %s: the %s refused the token of %s: %w", call.name, call.daemon, dir, err),
			"the token file belongs to another daemon or an older run; the daemon writes its own at start")
	case api.IsStatus(err, http.StatusNotFound) && isRouteMissing(err) && call.daemon != "daemon":
		return cl.WithHint(fmt.Errorf("ctl %s: %w", call.name, err),
			call.name+" is a call of a "+call.daemon+"; is "+dir+" a "+call.daemon+"'s state directory?")
	}
	var se *cl.StatusError
	if errors.As(err, &se) {
		return err
	}
	return fmt.Errorf("ctl %s: %w", call.name, err)
}

// isRouteMissing reports whether a 404 is the server's answer to an
// unknown path (no error shape), not a daemon's "no such domain".
func isRouteMissing(err error) bool {
	var e *api.Error
	return errors.As(err, &e) && e.Code == api.CodeInternal
}

// rawAnswer is an answer written as it is, not as JSON (worker-logs'
// tar stream).
type rawAnswer []byte

func writeCtlJSON(env cl.Env, v any) error {
	if raw, ok := v.(rawAnswer); ok {
		_, err := env.Streams.Out.Write(raw)
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the answer: %w", err)
	}
	_, err = env.Streams.Out.Write(append(b, '\n'))
	return err
}

func findCtlCall(name string) *ctlCall {
	for _, c := range ctlCalls() {
		if c.name == name {
			return &c
		}
	}
	return nil
}

func ctlCallNames() []string {
	var names []string
	for _, c := range ctlCalls() {
		names = append(names, c.name)
	}
	return names
}

package bootlevel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/store"
)

// bootProgram runs the boot step (§1.10, §1.11, §2.4): stage dir, filled
// bootconf.json and bootenv.sh, the bootpgm with its expanded arguments,
// then bootout.json back into the attribute bag (origin bootout).
func (e *run) bootProgram(ctx context.Context, lv int, r *Resolver, s store.Service, ex remote.Executor, stage string, log *serviceLog) (string, error) {
	if err := ex.Prepare(ctx, stage); err != nil {
		return StepBootPgm, fmt.Errorf("prepare %s: %w", stage, err)
	}
	conf, err := r.Setting(s.Name, "bootconf")
	if err != nil {
		return StepBootConf, err
	}
	if conf != "" {
		e.emit(ctx, Event{Level: lv, Service: s.Name, Kind: KindStep, Step: StepBootConf, Detail: conf})
		if err := e.uploadBootConf(ctx, lv, r, s.Name, conf, ex, stage, log); err != nil {
			return StepBootConf, err
		}
	}
	p, err := e.program(r, s, "bootpgm", stage, log, ex)
	if err != nil {
		return StepBootPgm, err
	}
	e.emit(ctx, Event{Level: lv, Service: s.Name, Kind: KindStep, Step: StepBootPgm, Detail: strings.Join(p.Args, " ")})
	if _, err := remote.RunProgram(ctx, ex, p); err != nil {
		return StepBootPgm, err
	}
	attrs, err := fetchBootout(ctx, ex, path.Join(stage, "bootout.json"))
	switch {
	case errors.Is(err, fs.ErrNotExist): // no bootout.json: nothing to hand on
		r.v.setBootoutProblem(s.Name, "")
		return "", nil
	case err != nil:
		// Invalid, too large, not a file: say so now, and again when a
		// later service misses one of its values.
		log.Printf("warning: bootout.json ignored: %v", err)
		e.emit(ctx, Event{Level: lv, Service: s.Name, Kind: KindWarning, Step: StepBootPgm, Detail: "bootout.json ignored: " + err.Error()})
		r.v.setBootoutProblem(s.Name, err.Error())
		return "", nil
	}
	r.v.setBootoutProblem(s.Name, "")
	if len(attrs) > 0 {
		if err := e.appendAttrs(context.WithoutCancel(ctx), s.Name, store.OriginBootout, attrs); err != nil {
			return StepBootPgm, fmt.Errorf("record bootout.json: %w", err)
		}
		log.Printf("bootout.json: %d attributes", len(attrs))
	}
	return "", nil
}

// uploadBootConf fills the template against the bag and uploads it with
// the bootenv.sh made from it.
func (e *run) uploadBootConf(ctx context.Context, lv int, r *Resolver, svc, conf string, ex remote.Executor, stage string, log *serviceLog) error {
	tmpl, err := os.ReadFile(conf)
	if err != nil {
		return err
	}
	bag, err := r.Bag(svc)
	if err != nil {
		return err
	}
	filled, err := plan.FillTemplate(conf, tmpl, func(k string) (string, bool) { v, ok := bag[k]; return v, ok })
	if err != nil {
		return err
	}
	if err := ex.Upload(ctx, path.Join(stage, "bootconf.json"), bytes.NewReader(filled), 0o600); err != nil {
		return fmt.Errorf("upload bootconf.json: %w", err)
	}
	env, err := plan.BootEnv(filled)
	if errors.Is(err, plan.ErrNotObject) {
		log.Printf("warning: %s: %v; no bootenv.sh sent", conf, err)
		e.emit(ctx, Event{Level: lv, Service: svc, Kind: KindWarning, Step: StepBootConf, Detail: conf + ": " + err.Error() + "; no bootenv.sh sent"})
		return nil
	} else if err != nil {
		return err
	}
	if err := ex.Upload(ctx, path.Join(stage, "bootenv.sh"), bytes.NewReader(env), 0o600); err != nil {
		return fmt.Errorf("upload bootenv.sh: %w", err)
	}
	return nil
}

// program builds the remote.Program of the kind's program key (bootpgm,
// readypgm, terminatepgm) with its expanded arguments.
func (e *run) program(r *Resolver, s store.Service, key, stage string, log *serviceLog, ex remote.Executor) (remote.Program, error) {
	p, err := r.Setting(s.Name, key)
	if err != nil {
		return remote.Program{}, err
	}
	rawArgs, _ := s.Setting(key + "_args")
	args, err := plan.ExpandArgs(rawArgs, s.Name, r)
	if err != nil {
		return remote.Program{}, fmt.Errorf("%s_args: %w", key, err)
	}
	if err := e.noSecretArgs(key+"_args", args); err != nil {
		return remote.Program{}, err
	}
	return remote.Program{
		Path: p, StageDir: stage, Args: args, Env: e.programEnv(),
		Stdout: log.stream(key, "stdout"), Stderr: log.stream(key, "stderr"),
		ForwardAgent: !flag(s, "local_exe"),
	}, nil
}

// Environment variables every program of a service gets.
const (
	// EnvCommand is the command running the program (CommandBoot, ...).
	EnvCommand = "CLOUDINITD_COMMAND"
	// EnvExe is the absolute path of the running cloudinitd program.
	EnvExe = "CLOUDINITD_EXE"
)

// programEnv is the environment the command's programs get (on SSH hosts
// exported by the command line remote builds, see remote.Cmd.Env).
func (e *run) programEnv() map[string]string {
	env := map[string]string{EnvCommand: e.command}
	if exe := e.exePath(); exe != "" {
		env[EnvExe] = exe
	}
	return env
}

// fetchBootout reads bootout.json: its top-level keys, in document order,
// strings raw and other values as their JSON text.
func fetchBootout(ctx context.Context, ex remote.Executor, p string) ([]store.Attr, error) {
	data, err := ex.Fetch(ctx, p)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("%s is not a JSON object", p)
	}
	var out []store.Attr
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		v := string(raw)
		var str string
		if json.Unmarshal(raw, &str) == nil {
			v = str
		} else {
			var buf bytes.Buffer
			if json.Compact(&buf, raw) == nil {
				v = buf.String()
			}
		}
		out = append(out, store.Attr{Key: key, Value: v})
	}
	// The object must be closed, and nothing may follow it.
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, fmt.Errorf("%s is not a complete JSON object", p)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s: more data after the JSON object", p)
	}
	return out, nil
}

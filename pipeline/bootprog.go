package pipeline

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
	"github.com/cloudinitd/cloudinitd/verify"
)

// boot runs the boot steps (§1.10, §1.11, §2.4): stage dir, filled
// bootconf.json and bootenv.sh, the bootpgm with its expanded arguments,
// then bootout.json to the BootoutSink.
func (r *runner) boot(ctx context.Context, ex remote.Executor, stage string) error {
	if err := ex.Prepare(ctx, stage); err != nil {
		return failed(StepBootPgm, fmt.Errorf("prepare %s: %w", stage, err))
	}
	conf, err := r.svc.Attrs.Setting("bootconf")
	if err != nil {
		return failed(StepBootConf, err)
	}
	if conf != "" {
		r.svc.State.Step(ctx, StepBootConf, conf)
		if err := r.uploadBootConf(ctx, conf, ex, stage); err != nil {
			return failed(StepBootConf, err)
		}
	}
	p, err := Program(r.svc, "bootpgm", stage, r.o.Env)
	if err != nil {
		return failed(StepBootPgm, err)
	}
	p.Files = r.o.Files
	r.svc.State.Step(ctx, StepBootPgm, strings.Join(p.Args, " "))
	if _, err := remote.RunProgram(ctx, ex, p); err != nil {
		return failed(StepBootPgm, err)
	}
	attrs, err := FetchBootout(ctx, ex, path.Join(stage, "bootout.json"))
	ignored := ""
	switch {
	case errors.Is(err, fs.ErrNotExist): // no bootout.json: nothing to hand on
		attrs = nil
	case err != nil:
		// Invalid, too large, not a file: say so now; the sink keeps why,
		// for a later service that misses one of its values.
		r.printf("warning: bootout.json ignored: %v", err)
		r.svc.State.Warn(ctx, StepBootPgm, "bootout.json ignored: "+err.Error())
		attrs, ignored = nil, err.Error()
	}
	if err := r.svc.Bootout.Bootout(context.WithoutCancel(ctx), attrs, ignored); err != nil {
		return failed(StepBootPgm, fmt.Errorf("record bootout.json: %w", err))
	}
	if len(attrs) > 0 {
		r.printf("bootout.json: %d attributes", len(attrs))
	}
	return nil
}

// uploadBootConf fills the template against the bag and uploads it (0600)
// with the bootenv.sh made from it.
func (r *runner) uploadBootConf(ctx context.Context, conf string, ex remote.Executor, stage string) error {
	tmpl, err := os.ReadFile(conf)
	if err != nil {
		return err
	}
	bag, err := r.svc.Attrs.Bag()
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
		r.printf("warning: %s: %v; no bootenv.sh sent", conf, err)
		r.svc.State.Warn(ctx, StepBootConf, conf+": "+err.Error()+"; no bootenv.sh sent")
		return nil
	} else if err != nil {
		return err
	}
	if err := ex.Upload(ctx, path.Join(stage, "bootenv.sh"), bytes.NewReader(env), 0o600); err != nil {
		return fmt.Errorf("upload bootenv.sh: %w", err)
	}
	return nil
}

// ready runs the readypgm in the stage dir.
func (r *runner) ready(ctx context.Context, ex remote.Executor, stage string) error {
	p, err := Program(r.svc, "readypgm", stage, r.o.Env)
	if err != nil {
		return err
	}
	p.Files = r.o.Files
	if err := ex.Prepare(ctx, stage); err != nil {
		return fmt.Errorf("prepare %s: %w", stage, err)
	}
	_, err = verify.RunReady(ctx, ex, p)
	return err
}

// Program builds the remote.Program of svc's program key (bootpgm,
// readypgm, terminatepgm): its expanded path and arguments, the
// environment env, its output to svc's log. The agent is forwarded unless
// the program runs here (local_exe).
func Program(svc Service, key, stage string, env map[string]string) (remote.Program, error) {
	p, err := svc.Attrs.Setting(key)
	if err != nil {
		return remote.Program{}, err
	}
	args, err := svc.Attrs.Args(key + "_args")
	if err != nil {
		return remote.Program{}, err
	}
	prog := remote.Program{Path: p, StageDir: stage, Args: args, Env: env, ForwardAgent: !Flag(svc.Settings, "local_exe")}
	if svc.Log != nil {
		prog.Stdout, prog.Stderr = svc.Log.Stream(key, "stdout"), svc.Log.Stream(key, "stderr")
	}
	return prog, nil
}

// FetchBootout reads bootout.json at p: its top-level keys, in document
// order, strings raw and other values as their compact JSON text. A
// missing file wraps fs.ErrNotExist.
func FetchBootout(ctx context.Context, ex remote.Executor, p string) ([]Attr, error) {
	data, err := ex.Fetch(ctx, p)
	if err != nil {
		return nil, err
	}
	return parseBootout(p, data)
}

// parseBootout reads the document data of bootout.json p.
func parseBootout(p string, data []byte) ([]Attr, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("%s is not a JSON object", p)
	}
	var out []Attr
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
		out = append(out, Attr{Key: key, Value: v})
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

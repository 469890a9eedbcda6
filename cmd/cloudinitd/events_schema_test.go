package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/remote/remotetest"
)

// schema is the subset of JSON Schema docs/events.schema.json uses.
type schema struct {
	Type                 string             `json:"type"`
	Required             []string           `json:"required"`
	Properties           map[string]*schema `json:"properties"`
	AdditionalProperties *bool              `json:"additionalProperties"`
	Enum                 []string           `json:"enum"`
	Const                any                `json:"const"`
	Minimum              *float64           `json:"minimum"`
	Items                *schema            `json:"items"`
	Format               string             `json:"format"`
}

func loadEventSchema(t *testing.T) *schema {
	t.Helper()
	b, err := os.ReadFile("../../docs/events.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s schema
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("docs/events.schema.json: %v", err)
	}
	return &s
}

// check validates v (decoded with UseNumber) against s; path names v.
func (s *schema) check(path string, v any) error {
	switch s.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: want an object, got %T", path, v)
		}
		for _, r := range s.Required {
			if _, ok := m[r]; !ok {
				return fmt.Errorf("%s: missing %q", path, r)
			}
		}
		for k, fv := range m {
			ps, ok := s.Properties[k]
			if !ok {
				if s.AdditionalProperties != nil && !*s.AdditionalProperties {
					return fmt.Errorf("%s: field %q is not in the schema", path, k)
				}
				continue
			}
			if err := ps.check(path+"."+k, fv); err != nil {
				return err
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: want an array, got %T", path, v)
		}
		for i, x := range a {
			if err := s.Items.check(fmt.Sprintf("%s[%d]", path, i), x); err != nil {
				return err
			}
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s: want a string, got %T", path, v)
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, str) {
			return fmt.Errorf("%s: %q is none of %v", path, str, s.Enum)
		}
		if s.Format == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
		}
	case "integer", "boolean":
		if s.Type == "boolean" {
			if _, ok := v.(bool); !ok {
				return fmt.Errorf("%s: want a boolean, got %T", path, v)
			}
			return nil
		}
		n, ok := v.(json.Number)
		if !ok {
			return fmt.Errorf("%s: want an integer, got %T", path, v)
		}
		i, err := n.Int64()
		if err != nil {
			return fmt.Errorf("%s: want an integer, got %s", path, n)
		}
		if s.Minimum != nil && float64(i) < *s.Minimum {
			return fmt.Errorf("%s: %d is below %v", path, i, *s.Minimum)
		}
		if s.Const != nil && fmt.Sprint(s.Const) != n.String() {
			return fmt.Errorf("%s: %s, want %v", path, n, s.Const)
		}
	default:
		return fmt.Errorf("%s: the schema's type %q is not one this validator knows", path, s.Type)
	}
	return nil
}

// validStream checks every line of out against the schema, seq 1, 2, 3...
// without a gap, and a result event last and only there; it returns the
// events.
func validStream(t *testing.T, s *schema, out string) []map[string]any {
	t.Helper()
	var evs []map[string]any
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		var v map[string]any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, line)
		}
		if err := s.check("event", v); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, line)
		}
		if got := v["seq"].(json.Number).String(); got != fmt.Sprint(i+1) {
			t.Fatalf("line %d: seq %s, want %d", i+1, got, i+1)
		}
		if (v["event"] == "result") != (i == strings.Count(out, "\n")-1) {
			t.Fatalf("line %d: a result event only last: %s", i+1, line)
		}
		evs = append(evs, v)
	}
	return evs
}

// TestEventsSchema: the --json stream of a boot (a command warning, program
// output on both streams, states, levels) and of a failing command
// validates against docs/events.schema.json, is numbered without a gap and
// ends with the result event.
func TestEventsSchema(t *testing.T) {
	sch := loadEventSchema(t)
	signer, keyPath := remotetest.NewKey(t)
	srv := remotetest.NewServer(t, signer.PublicKey())
	dir, db, work := t.TempDir(), t.TempDir(), t.TempDir()
	writeFiles(t, dir, map[string]string{
		"top.conf": "[runlevels]\nlevel1: level1.conf\n",
		"level1.conf": fmt.Sprintf("[svc-web]\nhostname: %s\nssh_port: %d\nssh_username: me\nlocalsshkeypath: %s\nbootpgm: boot.sh\nreadypgm: ok.sh\n",
			srv.Host(), srv.Port(), keyPath),
		"boot.sh": "#!/bin/sh\necho out-1\necho err-1 >&2\necho out-2\necho out-3\n",
		"ok.sh":   "#!/bin/sh\nexit 0\n",
	})
	run := inProcess(t, db, work)
	cli := func(args ...string) (int, string) {
		code, out, _ := run(args...)
		return code, out
	}

	code, out := cli("boot", filepath.Join(dir, "top.conf"), "-n", "ev", "--json", "-X")
	if code != 0 {
		t.Fatalf("boot: exit %d\n%s", code, out)
	}
	evs := validStream(t, sch, out)
	var stdout []string
	var warned, stderrSeen bool
	for _, ev := range evs {
		switch {
		case ev["event"] == "warning" && strings.Contains(fmt.Sprint(ev["detail"]), "-X (--remotedebug)"):
			warned = true
		case ev["event"] == "output" && ev["stream"] == "stdout":
			stdout = append(stdout, fmt.Sprint(ev["detail"]))
		case ev["event"] == "output" && ev["stream"] == "stderr":
			stderrSeen = ev["detail"] == "err-1"
		case ev["event"] == "output":
			t.Errorf("output event without its stream: %v", ev)
		}
	}
	if want := []string{"out-1", "out-2", "out-3"}; !slices.Equal(stdout, want) {
		t.Errorf("stdout output events %q, want %q in the program's order", stdout, want)
	}
	if !warned || !stderrSeen {
		t.Errorf("warning event %v, stderr output event %v; want both:\n%s", warned, stderrSeen, out)
	}
	last := evs[len(evs)-1]
	if last["ok"] != true || last["exit"].(json.Number).String() != "0" {
		t.Errorf("result of a boot that succeeded: %v", last)
	}

	code, out = cli("status", "nosuch", "--json")
	if code != 1 {
		t.Fatalf("status of a missing run: exit %d, want 1\n%s", code, out)
	}
	evs = validStream(t, sch, out)
	last = evs[len(evs)-1]
	if last["ok"] != false || last["exit"].(json.Number).String() != "1" ||
		!strings.Contains(fmt.Sprint(last["error"]), "no such run") || len(last["hints"].([]any)) == 0 {
		t.Errorf("result of a failed command: %v", last)
	}
}

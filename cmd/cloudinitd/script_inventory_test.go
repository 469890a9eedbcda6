package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	"github.com/cloudinitd/cloudinitd/iaas/drivers"
	"github.com/cloudinitd/cloudinitd/plan"
	"github.com/cloudinitd/cloudinitd/store"
)

// cmdJSON is "json FILE PATH WANT": FILE holds one JSON document, and the
// value at PATH (dotted: runs.0.state; "#" after a path is the length of
// the array or object there: runs.#) printed as text is WANT (a string
// value without quotes, null as null, anything else as JSON).
func cmdJSON(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: json FILE PATH WANT")
	}
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		ts.Fatalf("%s: not one JSON document: %v", args[0], err)
	}
	got, err := jsonAt(v, args[1])
	if err != nil {
		ts.Fatalf("%s: %s: %v", args[0], args[1], err)
	}
	if (got == args[2]) == neg {
		ts.Fatalf("%s: %s is %s, want %s%s", args[0], args[1], got, map[bool]string{true: "anything but "}[neg], args[2])
	}
}

// jsonAt returns the value at the dotted path in v, as text.
func jsonAt(v any, path string) (string, error) {
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case []any:
			if p == "#" {
				return strconv.Itoa(len(x)), nil
			}
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x) {
				return "", fmt.Errorf("no element %q in an array of %d", p, len(x))
			}
			v = x[i]
		case map[string]any:
			if p == "#" {
				return strconv.Itoa(len(x)), nil
			}
			e, ok := x[p]
			if !ok {
				return "", fmt.Errorf("no key %q", p)
			}
			v = e
		default:
			return "", fmt.Errorf("%q: not an array or object", p)
		}
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// cmdRecordRun is "recordrun DBDIR RUN PLAN": it records PLAN as run RUN
// and boots nothing, as a boot that died right after recording its plan
// leaves it (a run never booted).
func cmdRecordRun(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: recordrun DBDIR RUN PLAN")
	}
	ctx := context.Background()
	p, err := plan.Load(ctx, ts.MkAbs(args[2]), plan.Options{IaaS: drivers.PlanIaaS(drivers.Registry())})
	ts.Check(err)
	db, err := store.Create(ctx, ts.MkAbs(args[0]), args[1], store.Run{TopConf: p.TopFile})
	ts.Check(err)
	defer db.Close()
	ts.Check(bootlevel.Record(ctx, db, p))
}

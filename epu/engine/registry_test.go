package engine_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu/engine"
)

func TestBuiltin(t *testing.T) {
	r := engine.Builtin()
	if diff := cmp.Diff([]string{"autoscale", "npreserving", "queuelen", "sensor"}, r.Names()); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	for name, want := range map[string]any{
		"npreserving": &engine.Npreserving{}, "queuelen": &engine.QueueLength{}, "sensor": &engine.Sensor{},
		"autoscale": &engine.Autoscale{},
	} {
		e, err := r.New(name)
		if err != nil {
			t.Fatalf("New(%q): %v", name, err)
		}
		if got, want := typeName(e), typeName(want); got != want {
			t.Errorf("New(%q) is %s, want %s", name, got, want)
		}
	}
	a, _ := r.New("npreserving")
	b, _ := r.New("npreserving")
	if a == b {
		t.Error("New returned the same engine twice")
	}
	if engine.Builtin() == r {
		t.Error("Builtin returned a shared registry")
	}
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }

// TestUnknownEngine: an unknown name is ErrUnknownEngine naming the known
// ones, with a suggestion when one is close.
func TestUnknownEngine(t *testing.T) {
	r := engine.Builtin()
	for _, tc := range []struct{ name, want string }{
		{"npreserv", `unknown engine "npreserv" (known: autoscale, npreserving, queuelen, sensor); did you mean "npreserving"?`},
		{"Sensor", `unknown engine "Sensor" (known: autoscale, npreserving, queuelen, sensor); did you mean "sensor"?`},
		{"epu.decisionengine.impls.NpreservingEngine", `unknown engine "epu.decisionengine.impls.NpreservingEngine" (known: autoscale, npreserving, queuelen, sensor); did you mean "npreserving"?`},
		{"QueueLengthBoundedEngine", `unknown engine "QueueLengthBoundedEngine" (known: autoscale, npreserving, queuelen, sensor); did you mean "queuelen"?`},
		{"autoscaler", `unknown engine "autoscaler" (known: autoscale, npreserving, queuelen, sensor); did you mean "autoscale"?`},
		{"", `unknown engine "" (known: autoscale, npreserving, queuelen, sensor)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := r.New(tc.name)
			if e != nil || !errors.Is(err, engine.ErrUnknownEngine) {
				t.Fatalf("New(%q) = %v, %v; want ErrUnknownEngine", tc.name, e, err)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRegister(t *testing.T) {
	var r engine.Registry
	if err := r.Register("x", func() engine.Engine { return engine.NewSensor() }); err != nil {
		t.Fatal(err)
	}
	if err := r.Register("x", func() engine.Engine { return engine.NewSensor() }); err == nil {
		t.Error("a second engine under one name was accepted")
	}
	if err := r.Register("y", nil); err == nil {
		t.Error("a nil factory was accepted")
	}
	if diff := cmp.Diff([]string{"x"}, r.Names()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

package iaas_test

import (
	"errors"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"
)

func stubFactory(name string) iaas.Factory {
	return func(iaas.Config) (iaas.Driver, error) { return namedDriver{&stubDriver{}, name}, nil }
}

type namedDriver struct {
	*stubDriver
	name string
}

func (n namedDriver) Name() string { return n.name }

func TestRegistry(t *testing.T) {
	r := iaas.NewRegistry()
	r.Register("local", stubFactory("local"))
	r.Register("fake", stubFactory("fake"))
	r.Alias("testenv", "fake")
	r.Register("broken", func(iaas.Config) (iaas.Driver, error) { return nil, errors.New("no credentials") })

	cases := []struct {
		name, want, wantErr string
	}{
		{name: "fake", want: "fake"},
		{name: "FAKE", want: "fake"},
		{name: "testenv", want: "fake"},
		{name: "local", want: "local"},
		{name: "x", wantErr: `unknown iaas "x" (known: broken, fake, local)`},
		{name: "broken", wantErr: `iaas "broken": no credentials`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := r.Open(tc.name, iaas.Config{})
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Open(%q) error = %v, want %q", tc.name, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open(%q): %v", tc.name, err)
			}
			if d.Name() != tc.want {
				t.Errorf("Open(%q) is driver %q, want %q", tc.name, d.Name(), tc.want)
			}
		})
	}
}

func TestRegistryPanics(t *testing.T) {
	cases := []struct {
		name string
		fn   func(r *iaas.Registry)
	}{
		{"duplicate", func(r *iaas.Registry) { r.Register("fake", stubFactory("fake")) }},
		{"duplicate other case", func(r *iaas.Registry) { r.Register("Fake", stubFactory("fake")) }},
		{"name taken by alias", func(r *iaas.Registry) { r.Register("dummy", stubFactory("x")) }},
		{"alias taken", func(r *iaas.Registry) { r.Alias("fake", "fake") }},
		{"alias of unknown", func(r *iaas.Registry) { r.Alias("x", "nope") }},
		{"nil factory", func(r *iaas.Registry) { r.Register("y", nil) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := iaas.NewRegistry()
			r.Register("fake", stubFactory("fake"))
			r.Alias("dummy", "fake")
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tc.fn(r)
		})
	}
}

func TestAs(t *testing.T) {
	inner := namedDriver{&stubDriver{}, "inner"}
	d := iaas.WithRetry(iaas.WithLimit(inner, 2), iaas.RetryPolicy{})
	got, ok := iaas.As[namedDriver](d)
	if !ok || got.name != "inner" {
		t.Errorf("As[namedDriver] = %v, %v; want the inner driver", got, ok)
	}
	if _, ok := iaas.As[interface{ Close() error }](d); ok {
		t.Error("As found a Close method nobody has")
	}
}

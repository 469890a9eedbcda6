package iaas_test

import (
	"errors"
	"strings"
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
	r.Register(iaas.Entry{Name: "local", Factory: stubFactory("local")})
	r.Register(iaas.Entry{Name: "fake", Aliases: []string{"testenv"}, Factory: stubFactory("fake")})
	r.Register(iaas.Entry{Name: "cloud", Factory: stubFactory("cloud"),
		Serves: func(v string, endpoint bool) bool { return endpoint || strings.HasPrefix(v, "zone-") }})
	r.Register(iaas.Entry{Name: "broken", Factory: func(iaas.Config) (iaas.Driver, error) { return nil, errors.New("no credentials") }})

	cases := []struct {
		value    string
		endpoint bool
		want     string
		wantErr  string
	}{
		{value: "fake", want: "fake"},
		{value: "FAKE", want: "fake"},
		{value: "testenv", want: "fake"},
		{value: "local", want: "local"},
		{value: "zone-1", want: "cloud"},
		{value: "RegionOne", endpoint: true, want: "cloud"},
		{value: "RegionOne", wantErr: `unknown iaas "RegionOne" (known: broken, cloud, fake, local)`},
		{value: "lokal", wantErr: `unknown iaas "lokal" (known: broken, cloud, fake, local)`},
		{value: "broken", wantErr: `iaas "broken": no credentials`},
	}
	for _, tc := range cases {
		t.Run(tc.value, func(t *testing.T) {
			name, err := r.Resolve(iaas.Selector{Value: tc.value, Endpoint: tc.endpoint})
			if err == nil && !tc.endpoint {
				var d iaas.Driver
				if d, err = r.Open(tc.value, iaas.Config{}); err == nil {
					name = d.Name()
				}
			}
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("%q: error = %v, want %q", tc.value, err, tc.wantErr)
				}
				if strings.HasPrefix(tc.wantErr, "unknown") && (!errors.Is(err, iaas.ErrUnknownDriver) || r.Known(tc.value)) {
					t.Errorf("%q: %v is not ErrUnknownDriver, or Known says yes", tc.value, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%q: %v", tc.value, err)
			}
			if name != tc.want {
				t.Errorf("%q is driver %q, want %q", tc.value, name, tc.want)
			}
			if !tc.endpoint && !r.Known(tc.value) {
				t.Errorf("Known(%q) = false", tc.value)
			}
		})
	}
}

// TestRegistryWrap: each entry's policy wraps its driver; a driver without
// one gets DefaultWrap.
func TestRegistryWrap(t *testing.T) {
	type marked struct{ iaas.Driver }
	r := iaas.NewRegistry()
	r.Register(iaas.Entry{Name: "own", Factory: stubFactory("own"),
		Wrap: func(d iaas.Driver, _ iaas.Config) iaas.Driver { return marked{d} }})
	r.Register(iaas.Entry{Name: "plain", Factory: stubFactory("plain")})
	own, _ := r.Open("own", iaas.Config{})
	if _, ok := r.Wrap(own, iaas.Config{}).(marked); !ok {
		t.Error("the entry's Wrap was not used")
	}
	plain, _ := r.Open("plain", iaas.Config{})
	if w, ok := r.Wrap(plain, iaas.Config{}).(iaas.Wrapper); !ok || w == nil {
		t.Error("a driver without Wrap did not get DefaultWrap's wrappers")
	}
}

func TestRegistryPanics(t *testing.T) {
	cases := []struct {
		name string
		fn   func(r *iaas.Registry)
	}{
		{"duplicate", func(r *iaas.Registry) { r.Register(iaas.Entry{Name: "fake", Factory: stubFactory("fake")}) }},
		{"duplicate other case", func(r *iaas.Registry) { r.Register(iaas.Entry{Name: "Fake", Factory: stubFactory("fake")}) }},
		{"name taken by alias", func(r *iaas.Registry) { r.Register(iaas.Entry{Name: "dummy", Factory: stubFactory("x")}) }},
		{"alias taken", func(r *iaas.Registry) {
			r.Register(iaas.Entry{Name: "y", Aliases: []string{"fake"}, Factory: stubFactory("y")})
		}},
		{"nil factory", func(r *iaas.Registry) { r.Register(iaas.Entry{Name: "y"}) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := iaas.NewRegistry()
			r.Register(iaas.Entry{Name: "fake", Aliases: []string{"dummy"}, Factory: stubFactory("fake")})
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

package iaas_test

import (
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"
)

func TestRunIDStringParse(t *testing.T) {
	for _, id := range []iaas.RunID{{"web", "0a1b2c3d"}, {"v1.2", "ff"}, {"a-b_c", "00000000"}} {
		got, err := iaas.ParseRunID(id.String())
		if err != nil || got != id {
			t.Errorf("ParseRunID(%q) = %+v, %v; want %+v", id.String(), got, err, id)
		}
	}
	if s := (iaas.RunID{Name: "web"}).String(); s != "web" {
		t.Errorf("String without incarnation = %q, want the name", s)
	}
	for _, bad := range []string{"web", "web.", ".abc", "web.XYZ", "web.12g4", ""} {
		if got, err := iaas.ParseRunID(bad); err == nil {
			t.Errorf("ParseRunID(%q) = %+v, want an error", bad, got)
		}
	}
}

// TestRunIDClaims: a record claims instances recorded with its full id,
// and instances from before full ids only by a client token it issued;
// another incarnation's, another name's and an unknown legacy instance
// are not its own.
func TestRunIDClaims(t *testing.T) {
	me := iaas.RunID{Name: "twin", Incarnation: "aaaaaaaa"}
	issued := func(tok string) bool { return tok == "twin-svc-1" }
	cases := []struct {
		name string
		inst iaas.Instance
		want bool
	}{
		{"full id", iaas.Instance{Run: me, ClientToken: "x"}, true},
		{"other incarnation", iaas.Instance{Run: iaas.RunID{Name: "twin", Incarnation: "bbbbbbbb"}, ClientToken: "twin-svc-1"}, false},
		{"other name", iaas.Instance{Run: iaas.RunID{Name: "twins", Incarnation: "aaaaaaaa"}}, false},
		{"legacy, token issued", iaas.Instance{Run: iaas.RunID{Name: "twin"}, ClientToken: "twin-svc-1"}, true},
		{"legacy, token not issued", iaas.Instance{Run: iaas.RunID{Name: "twin"}, ClientToken: "twin-bbbbbbbb-svc-1"}, false},
		{"legacy, no token", iaas.Instance{Run: iaas.RunID{Name: "twin"}}, false},
	}
	for _, tc := range cases {
		if got := me.Claims(tc.inst, issued); got != tc.want {
			t.Errorf("%s: Claims = %v, want %v", tc.name, got, tc.want)
		}
	}
	if (iaas.RunID{Name: "twin"}).Claims(iaas.Instance{Run: iaas.RunID{Name: "twin"}, ClientToken: "t"}, nil) {
		t.Error("a run without incarnation and no issued tokens claimed a legacy instance")
	}
}

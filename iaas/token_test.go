package iaas_test

import (
	"strings"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"
)

func TestClientToken(t *testing.T) {
	long := strings.Repeat("r", 80)
	cases := []struct {
		name, run, service string
		attempt            int
		want               string // "" when hashed: checked by shape
	}{
		{"short stays readable", "run1", "web", 2, "run1-web-2"},
		{"exactly 64", strings.Repeat("a", 58), "sv", 1, strings.Repeat("a", 58) + "-sv-1"},
		{"too long", long, "web", 1, ""},
		{"spaces", "my run", "web", 1, ""},
		{"non-ascii", "läuft", "web", 1, ""},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := iaas.ClientToken(tc.run, tc.service, tc.attempt)
			if tc.want != "" && got != tc.want {
				t.Errorf("ClientToken = %q, want %q", got, tc.want)
			}
			if len(got) > iaas.MaxClientTokenLen {
				t.Errorf("ClientToken = %q is %d long, want at most 64", got, len(got))
			}
			for _, c := range []byte(got) {
				if c <= ' ' || c >= 0x7f {
					t.Errorf("ClientToken = %q has byte %#x, want printable ASCII", got, c)
				}
			}
			if again := iaas.ClientToken(tc.run, tc.service, tc.attempt); again != got {
				t.Errorf("not deterministic: %q then %q", got, again)
			}
			if other := iaas.ClientToken(tc.run, tc.service, tc.attempt+1); other == got {
				t.Errorf("attempts %d and %d give the same token %q", tc.attempt, tc.attempt+1, got)
			}
			if seen[got] {
				t.Errorf("token %q repeated across cases", got)
			}
			seen[got] = true
		})
	}
	// Long names that differ only past the readable prefix stay distinct.
	a, b := iaas.ClientToken(long+"a", "web", 1), iaas.ClientToken(long+"b", "web", 1)
	if a == b {
		t.Errorf("long runs differing at the end share token %q", a)
	}
}

package cli

import (
	"strings"
	"testing"
)

func TestDriversKnowsEveryDriver(t *testing.T) {
	r := Drivers()
	for _, name := range []string{"local", "fake"} {
		if _, err := r.Lookup(name); err != nil {
			t.Errorf("Lookup(%q): %v", name, err)
		}
	}
	_, err := r.Lookup("nosuchcloud")
	if err == nil || !strings.Contains(err.Error(), `unknown iaas "nosuchcloud"`) {
		t.Errorf("Lookup(nosuchcloud) = %v, want an error naming the iaas", err)
	}
}

package cli

import (
	"os/user"
	"testing"
)

// TestHomeDir: $HOME when set; when it is not, the account's home
// directory (was: "", and ~/.cloudinitd became .cloudinitd in the working
// directory).
func TestHomeDir(t *testing.T) {
	t.Setenv("HOME", "/somewhere/home")
	if got := homeDir(); got != "/somewhere/home" {
		t.Errorf("homeDir with HOME set = %q, want /somewhere/home", got)
	}
	u, err := user.Current()
	if err != nil || u.HomeDir == "" {
		t.Skipf("this account has no home directory in the password database: %v", err)
	}
	t.Setenv("HOME", "")
	if got := homeDir(); got != u.HomeDir {
		t.Errorf("homeDir without HOME = %q, want the account's %q", got, u.HomeDir)
	}
}

package local_test

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestServerEnvironmentIsMinimal: an instance server and the programs it
// runs get a login's variables, not cloudinitd's whole environment (cloud
// credentials above all).
func TestServerEnvironmentIsMinimal(t *testing.T) {
	t.Setenv("AWS_SECRET_ACCESS_KEY", "server-env-secret")
	t.Setenv("LOCAL_TEST_ANYTHING", "server-env-other")
	t.Setenv("TZ", "UTC")
	dir := t.TempDir()
	d := newDriver(t, dir)
	inst := waitRunning(t, d, launch(t, d, "env", "web"))
	environ, err := os.ReadFile("/proc/" + strconv.Itoa(serverPID(t, dir, inst)) + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, kv := range bytes.Split(environ, []byte{0}) {
		if k, _, ok := strings.Cut(string(kv), "="); ok {
			names = append(names, k)
		}
	}
	if bytes.Contains(environ, []byte("server-env-")) {
		t.Errorf("the server inherited the tool's environment: %v", names)
	}
	if !bytes.Contains(environ, []byte("\x00TZ=UTC\x00")) && !bytes.HasPrefix(environ, []byte("TZ=UTC\x00")) {
		t.Errorf("the server lost TZ: %v", names)
	}
	out, _, code := run(t, dial(t, inst), "env")
	if code != 0 || strings.Contains(out, "server-env-") || !strings.Contains(out, "TZ=UTC\n") {
		t.Errorf("a program's environment (exit %d):\n%s", code, out)
	}
}

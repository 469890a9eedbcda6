package provisioner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoadConfig: a good file loads with defaults and relative paths
// taken from its directory; each bad file is an error naming the file and
// the key.
func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "provisioner.json")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := `{"service": "provisioner", "run_id": "r.ab12", "run_secret": "s", "state_dir": "st", "listen": "127.0.0.1:0",
		"deployable_types": {"w": {"iaas": "fake", "options": {"fake_running_delay": "1s"}}}, "query_period": "2s"}`
	c, err := LoadConfig(write(good))
	if err != nil {
		t.Fatal(err)
	}
	if c.StateDir != filepath.Join(dir, "st") || c.QueryPeriod.D() != 2*time.Second || c.DisappearAfter.D() != DefaultDisappearAfter ||
		c.ContextTimeout.D() != DefaultContextTimeout || c.Backoff.Capacity.D() != DefaultCapacityBackoff || c.Run.Incarnation != "ab12" {
		t.Errorf("loaded %+v", c)
	}
	for _, tc := range []struct{ body, key string }{
		{strings.Replace(good, `"listen"`, `"listne"`, 1), `"listne"`},
		{strings.Replace(good, `"run_id": "r.ab12"`, `"run_id": "r"`, 1), "run_id"},
		{strings.Replace(good, `"run_secret": "s", `, ``, 1), "run_secret"},
		{strings.Replace(good, `"query_period": "2s"`, `"query_period": "soon"`, 1), "query_period"},
		{strings.Replace(good, `"iaas": "fake"`, `"iaas": ""`, 1), "deployable_types.w.iaas"},
		{strings.Replace(good, `"fake_running_delay"`, `"colour"`, 1), "deployable_types.w.options.colour"},
		{strings.Replace(good, `"iaas": "fake"`, `"iaas": "fake", "bootconf": "nope.json"`, 1), "deployable_types.w.bootconf"},
		{strings.Replace(good, `"iaas": "fake"`, `"iaas": "fake", "cores": "two"`, 1), "cores"},
		{strings.Replace(good, `"query_period": "2s"`, `"max_nodes": -1`, 1), "max_nodes"},
	} {
		p := write(tc.body)
		_, err := LoadConfig(p)
		if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("config with a bad %s: %v; want an error naming the file and the key", tc.key, err)
		}
		if err != nil && strings.Contains(err.Error(), `"s"`) {
			t.Errorf("the error shows the secret: %v", err)
		}
	}
}

// TestNewRefusesUnknownIaaS: a deployable type on an iaas no driver
// serves is refused at New, naming the type.
func TestNewRefusesUnknownIaaS(t *testing.T) {
	cfg := testConfig(t)
	cfg.DeployableTypes["bad"] = DeployableType{IaaS: "lokal"}
	_, err := New(cfg, Deps{Registry: testRegistry(), Contextualizer: DryRunContextualizer{}})
	if err == nil || !strings.Contains(err.Error(), "deployable_types.bad.iaas") {
		t.Errorf("New: %v, want an error naming deployable_types.bad.iaas", err)
	}
}

package controller

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu/engine"
)

const goodConfig = `{
  "service": "epu-sleeper",
  "run_secret": "xyz",
  "state_dir": "/var/lib/epu",
  "listen": "127.0.0.1:0",
  "provisioner": {"service": "provisioner", "url": "http://127.0.0.1:8000"},
  "decide_period": "2s",
  "domains": [{
    "name": "sleeper", "deployable_type": "sleeper", "engine": "npreserving",
    "engine_conf": {"preserve_n": 3},
    "max_size": 6,
    "monitor_health": true, "health_missing_timeout": "30s",
    "sensor_cmd": "echo 3"
  }]
}`

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "controller.json")
	if err := os.WriteFile(path, []byte(goodConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Service: "epu-sleeper", RunSecret: "xyz", StateDir: "/var/lib/epu", Listen: "127.0.0.1:0",
		Provisioner: Peer{Service: "provisioner", URL: "http://127.0.0.1:8000"}, DecidePeriod: Duration(2 * time.Second),
		MinDecidePeriod: Duration(time.Second), RetryPeriod: Duration(5 * time.Second), ResyncPeriod: Duration(time.Minute), StopLoss: 0.5, StopLossWindow: Duration(time.Minute),
		Domains: []DomainConf{{Name: "sleeper", DeployableType: "sleeper", Engine: "npreserving",
			EngineConf: engine.Conf{"preserve_n": 3.0}, MaxSize: 6, MonitorHealth: true,
			HealthBootTimeout: Duration(300 * time.Second), HealthMissingTimeout: Duration(30 * time.Second),
			HealthZombieTimeout: Duration(120 * time.Second), SensorCmd: "echo 3", SensorID: "queue-length",
			SensorPeriod: Duration(10 * time.Second)}}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("config (-want +got):\n%s", d)
	}

	bad := []struct {
		name, from, to, wantKey string
	}{
		{"unknown top key", `"decide_period"`, `"decide_perod"`, "decide_perod: unknown key"},
		{"unknown domain key", `"max_size"`, `"maxsize"`, "domains[0].maxsize: unknown key"},
		{"unknown provisioner key", `"url"`, `"uri"`, "uri: unknown key"},
		{"bad duration", `"2s"`, `"2 seconds"`, "decide_period"},
		{"bad domain duration", `"30s"`, `"-1s"`, "domains[0].health_missing_timeout"},
		{"no cap", `"max_size": 6,`, ``, "domains[0].max_size"},
		{"string cap", `"max_size": 6`, `"max_size": "6"`, "domains[0].max_size"},
		{"no secret", `"run_secret": "xyz",`, ``, "run_secret"},
		{"no provisioner url", `"url": "http://127.0.0.1:8000"`, `"url": ""`, "provisioner.url"},
		{"stop_loss out of range", `"decide_period": "2s",`, `"stop_loss": 1.5,`, "stop_loss"},
		{"bad domain name", `"name": "sleeper"`, `"name": "a b"`, "domains[0].name"},
		{"period below floor", `"2s"`, `"100ms"`, "decide_period"},
		{"listen not host:port", `"127.0.0.1:0"`, `"8000"`, "listen"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			text := strings.Replace(goodConfig, tt.from, tt.to, 1)
			if text == goodConfig {
				t.Fatalf("the case changes nothing")
			}
			_, err := ParseConfig("controller.json", []byte(text))
			if err == nil || !errors.Is(err, ErrConfig) || !strings.HasPrefix(err.Error(), "controller.json: ") || !strings.Contains(err.Error(), tt.wantKey) {
				t.Errorf("error %v; want ErrConfig naming controller.json and %q", err, tt.wantKey)
			}
		})
	}
	two := strings.Replace(goodConfig, `"domains": [{`, `"domains": [{"name": "sleeper", "deployable_type": "x", "engine": "npreserving", "max_size": 1}, {`, 1)
	if _, err := ParseConfig("c.json", []byte(two)); err == nil || !strings.Contains(err.Error(), "domains[1].name") {
		t.Errorf("a domain named twice: %v", err)
	}
}

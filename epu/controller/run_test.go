package controller

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// sensor_cmd's output becomes a reading: a number or a JSON value; a
// failing command or other output is an error, and nothing is recorded.
func TestSensorCmd(t *testing.T) {
	tests := []struct {
		cmd     string
		want    any
		wantErr string
	}{
		{cmd: "echo 7", want: 7.0},
		{cmd: `echo '{"queue_name": "work", "queue_length": 3}'`, want: map[string]any{"queue_name": "work", "queue_length": 3.0}},
		{cmd: "echo oops >&2; exit 3", wantErr: "oops"},
		{cmd: "echo seven", wantErr: "not a number or a JSON value"},
		{cmd: "echo 1 2", wantErr: "not a number or a JSON value"},
		{cmd: "echo null", wantErr: "null"},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			cfg := testConfig(t.TempDir(), "scripted", nil)
			cfg.Domains[0].SensorCmd = tt.cmd
			h := newHarness(t, cfg, &scriptedEngine{})
			err := h.domain().readSensor(context.Background())
			got, ok := h.domain().sensors["queue-length"]
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || ok {
					t.Fatalf("error %v, reading %v; want an error containing %q and no reading", err, got, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(epu.Sensor{SensorID: "queue-length", Time: h.clock.Now().UnixMicro(), Value: tt.want}, got); d != "" {
				t.Errorf("reading (-want +got):\n%s", d)
			}
		})
	}
}

// Run serves on the listener, writes the token and api_url (0600), asks
// for dump_state at start, runs the decide loop and the sensor command,
// and stops when its context ends.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir, "npreserving", engine.Conf{"preserve_n": 1.0})
	cfg.Domains[0].SensorCmd = "echo 4"
	h := newHarness(t, cfg, nil)
	h.cycle() // one instance REQUESTING, stored
	h.restart()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- h.c.Run(ctx, ln) }()
	url := "http://" + ln.Addr().String()
	waitFor(t, "dump_state at start", func() bool { _, _, d := h.prov.counts(); return d == 1 })
	h.prov.mu.Lock()
	got := h.prov.dumps[0].ForceSubscribe
	h.prov.mu.Unlock()
	if got == nil || *got != (epu.Subscriber{Service: "epu-test", URL: url}) {
		t.Errorf("force_subscribe %+v; want this controller at %s", got, url)
	}
	for name, want := range map[string]string{api.TokenFile: mustToken(t), APIURLFile: url} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		fi, _ := os.Stat(filepath.Join(dir, name))
		if err != nil || strings.TrimSpace(string(b)) != want || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want the value, mode 0600", name, err, fi.Mode())
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, StoreFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("store file: %v %v; want mode 0600", fi, err)
	}
	h.clock.Advance(DefaultResyncPeriod)
	waitFor(t, "dump_state of the resync", func() bool { _, _, d := h.prov.counts(); return d == 2 })
	c := NewClient(url, mustToken(t))
	waitFor(t, "the sensor command's reading", func() bool {
		ws, err := c.WholeState(ctx, "d")
		return err == nil && ws.Sensors["queue-length"] == "4"
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if _, err := c.Health(context.Background()); err == nil {
		t.Error("the API still answers after Run returned")
	}
	// Neither the secret nor a token derived from it reaches the log or
	// the store.
	node, _ := api.NodeToken(testSecret, "d")
	h.c.Close()
	db, err := os.ReadFile(filepath.Join(dir, StoreFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{testSecret, mustToken(t), node} {
		if strings.Contains(h.logs.String(), s) || strings.Contains(string(db), s) {
			t.Errorf("a secret (%.6s…) in the log or the store", s)
		}
	}
}

func mustToken(t *testing.T) string {
	tok, err := api.ServiceToken(testSecret, "epu-test")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// waitFor polls cond until it holds, for at most 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

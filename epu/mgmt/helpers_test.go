package mgmt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cloudinitd/cloudinitd/bootlevel"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
	"github.com/cloudinitd/cloudinitd/store"
)

// svcFixture is one service of a fixture record.
type svcFixture struct {
	name, host string
	level      int
	bootout    map[string]string
	settings   map[string]string
}

// fixture records a run whose services are hostname services (nothing
// launched), each running with its bootout attributes.
func fixture(t *testing.T, dir, run string, svcs []svcFixture) iaas.RunID {
	t.Helper()
	ctx := context.Background()
	db, err := store.Create(ctx, dir, run, store.Run{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var levels []store.Level
	var ss []store.Service
	seen := map[int]bool{}
	for i, s := range svcs {
		if !seen[s.level] {
			seen[s.level] = true
			levels = append(levels, store.Level{Number: s.level, Key: fmt.Sprintf("level%d", s.level),
				ConfFile: filepath.Join(dir, fmt.Sprintf("level%d.conf", s.level)), Position: s.level})
		}
		st := []store.Setting{{Key: "hostname", Value: s.host}}
		for k, v := range s.settings {
			st = append(st, store.Setting{Key: k, Value: v})
		}
		ss = append(ss, store.Service{Name: s.name, Level: s.level, Position: i, Settings: st})
	}
	if err := db.PutPlan(ctx, levels, ss); err != nil {
		t.Fatal(err)
	}
	for _, s := range svcs {
		if err := db.SetRunning(ctx, s.name, s.host, "fixture"); err != nil {
			t.Fatal(err)
		}
		var attrs []store.Attr
		for k, v := range s.bootout {
			attrs = append(attrs, store.Attr{Key: k, Value: v})
		}
		if len(attrs) > 0 {
			if _, err := db.AppendAttrs(ctx, s.name, store.OriginBootout, attrs); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := db.SetRunStatus(ctx, store.RunUp); err != nil {
		t.Fatal(err)
	}
	return iaas.RunID{Name: run, Incarnation: db.Incarnation()}
}

// epuFixture is a run with a provisioner and a controller (by role) and a
// base service.
func epuFixture(t *testing.T, dir, run string) iaas.RunID {
	return fixture(t, dir, run, []svcFixture{
		{name: "web", host: "127.0.0.1", level: 1},
		{name: "provisioner", host: "127.0.0.1", level: 1,
			bootout: map[string]string{"epu_role": "provisioner", "epu_state_dir": "/state/prov", "api_url": "http://127.0.0.1:1"}},
		{name: "pool", host: "127.0.0.1", level: 2,
			bootout: map[string]string{"epu_role": "controller", "epu_state_dir": "/state/pool"}},
	})
}

// fakeChannel answers ctl calls with answer (as JSON, a []byte as it
// is) and records them.
type fakeChannel struct {
	mu      sync.Mutex
	calls   []string // "service: args"
	answer  func(svc Service, args []string) (any, error)
	fetches []string
}

func (f *fakeChannel) Ctl(_ context.Context, svc Service, args ...string) ([]byte, error) {
	f.mu.Lock()
	f.calls = append(f.calls, svc.Name+": "+strings.Join(args, " "))
	f.mu.Unlock()
	v, err := f.answer(svc, args)
	if err != nil {
		return nil, &CtlError{Service: svc.Name, Host: "127.0.0.1", Call: strings.Join(args, " "), Err: err}
	}
	if raw, ok := v.([]byte); ok {
		return raw, nil // an answer that is not JSON (worker-logs' tar)
	}
	return json.Marshal(v)
}

func (f *fakeChannel) FetchLogs(_ context.Context, svc Service, dir string) (int, error) {
	f.mu.Lock()
	f.fetches = append(f.fetches, svc.Name)
	f.mu.Unlock()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, err
	}
	return 1, os.WriteFile(filepath.Join(dir, svc.Name+".log"), []byte("{}\n"), 0o600)
}

func (f *fakeChannel) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

var errRefused = errors.New("connection refused")

// testManager is a Manager on dir with the fake channel ch and cloud as
// every driver.
func testManager(t *testing.T, dir string, ch Channel, cloud iaas.Driver) (*Manager, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	m := &Manager{
		DBDir: dir, RunLogDir: filepath.Join(dir, "runlogs"), Out: &out, Err: &errb, Poll: 10e6,
		OpenDriver: func(iaas.Selector, iaas.Config) (iaas.Driver, error) { return cloud, nil },
		NewEngine: func(db *store.DB) (*bootlevel.Engine, func(), error) {
			return &bootlevel.Engine{DB: db, StateDir: dir, Connector: bootlevel.DryRunConnector{},
				Drivers: func(iaas.Selector) (iaas.Driver, error) { return cloud, nil }}, func() {}, nil
		},
		NewChannel: func(*bootlevel.Engine) Channel { return ch },
	}
	return m, &out, &errb
}

func fakeCloud(t *testing.T) *fake.Driver {
	t.Helper()
	d, err := fake.New(fake.Options{Memory: true, LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// launchWorkers launches n workers of run owned by the provisioner.
func launchWorkers(t *testing.T, d iaas.Driver, run iaas.RunID, n int) []string {
	t.Helper()
	var ids []string
	for i := 0; i < n; i++ {
		in, err := d.Launch(context.Background(), iaas.LaunchSpec{Run: run, Service: "provisioner", Owner: "provisioner",
			Image: "img", Allocation: "small", Tags: map[string]string{"node_id": fmt.Sprintf("n%d", i)},
			ClientToken: fmt.Sprintf("%s-w%d", run, i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, in.ID)
	}
	return ids
}

// alive lists the run's instances the driver says are not final.
func alive(t *testing.T, d iaas.Driver, run iaas.RunID) []string {
	t.Helper()
	is, err := d.(iaas.RunFinder).FindByRun(context.Background(), run)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, in := range is {
		if !in.State.Final() {
			ids = append(ids, in.ID)
		}
	}
	return ids
}

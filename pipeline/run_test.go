package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
	"github.com/cloudinitd/cloudinitd/remote"
	"github.com/cloudinitd/cloudinitd/remote/remotetest"
	"github.com/cloudinitd/cloudinitd/verify"
)

// world is one instance of the fake cloud whose host is the in-process SSH
// server, and the programs of a service on it.
type world struct {
	t     *testing.T
	cloud *fake.Driver
	inst  iaas.Instance
	srv   *remotetest.Server
	key   string // the client's private key file
	work  string // the host's work directory
	dir   string // program files
	keys  *keyStore
	conn  *SSHConnector
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, work: t.TempDir(), dir: t.TempDir(), keys: &keyStore{}}
	signer, keyPath := remotetest.NewKey(t)
	w.key = keyPath
	w.srv = remotetest.NewServer(t, signer.PublicKey())
	env := map[string]string{"CLOUDINITD_FAKE_RUNNING_DELAY": "0", "CLOUDINITD_FAKE_TERMINATE_DELAY": "0"}
	cloud, err := fake.New(fake.Options{Memory: true, LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	w.cloud = cloud
	w.inst, err = cloud.Launch(context.Background(), iaas.LaunchSpec{Run: iaas.RunID{Name: "r", Incarnation: "00000001"},
		Service: "web", Attempt: 1, Image: "img", ClientToken: "tok-1"})
	if err != nil {
		t.Fatal(err)
	}
	w.conn = NewSSHConnector(w.keys, remote.SSHOptions{Getenv: func(string) string { return "" }, Grace: time.Second})
	t.Cleanup(func() { w.conn.Close() })
	return w
}

// program writes an executable program file and returns its path.
func (w *world) program(name, body string) string {
	p := filepath.Join(w.dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		w.t.Fatal(err)
	}
	return p
}

// host is the instance, placed on the SSH server (as a driver that
// announces an SSH endpoint does).
func (w *world) host() Host {
	return Host{Driver: w.cloud, Ref: iaas.Ref{ID: w.inst.ID, Handle: w.inst.Handle},
		Place: func(_ context.Context, inst *iaas.Instance) (Place, error) {
			return Place{Hostname: inst.Hostname, WorkDir: w.work,
				SSH: &iaas.SSHEndpoint{Host: w.srv.Host(), Port: w.srv.Port(), User: "worker", PrivateKeyPath: w.key}}, nil
		}}
}

func (w *world) options(boot bool) Options {
	fast := verify.Backoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond}
	return Options{Boot: boot, RunBoot: boot, StepTimeout: 30 * time.Second, Running: &fast, SSH: &fast,
		Env: map[string]string{"CLOUDINITD_COMMAND": "provision"}}
}

// TestRunBoot: the boot pipeline on a running instance over SSH: the
// bootconf filled from the bag and uploaded 0600 with bootenv.sh, the boot
// program with its arguments and environment, bootout.json to the sink in
// order, the ready program, every transition told in order, the host key
// recorded for the service.
func TestRunBoot(t *testing.T) {
	w := newWorld(t)
	conf := filepath.Join(w.dir, "conf.json")
	if err := os.WriteFile(conf, []byte(`{"greeting": "$greeting"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	f := &fakeService{settings: map[string]string{
		"bootconf":     conf,
		"bootpgm":      w.program("boot.sh", `. ./bootenv.sh; echo "$greeting $1 $CLOUDINITD_COMMAND" > said; echo '{"port": 8080, "who": "'"$1"'"}' > bootout.json`),
		"bootpgm_args": "worker-7",
		"readypgm":     w.program("ready.sh", `test -f said`),
	}, bag: map[string]string{"greeting": "hello"}}
	p := Pipeline{Connector: w.conn}
	if err := p.Run(testCtx(t), f.service("web"), w.host(), w.options(true)); err != nil {
		t.Fatalf("run: %v\nlog:\n%s", err, f.log.String())
	}
	want := []string{
		"step running " + w.inst.ID, "running " + w.inst.Hostname,
		"step connect " + w.srv.Host(), "booting", "step bootconf " + conf, "step bootpgm worker-7",
		"contextualized", "step readypgm ", "ready ranBoot=true",
	}
	if diff := cmp.Diff(want, f.recorded()); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Attr{{"port", "8080"}, {"who", "worker-7"}}, f.bootout); diff != "" {
		t.Errorf("bootout.json (-want +got):\n%s", diff)
	}
	stage := filepath.Join(w.work, "web")
	said, _ := os.ReadFile(filepath.Join(stage, "said"))
	if got := string(said); got != "hello worker-7 provision\n" {
		t.Errorf("the boot program said %q", got)
	}
	fi, err := os.Stat(filepath.Join(stage, "bootconf.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("bootconf.json: %v, %v; want mode 0600", fi, err)
	}
	if k, _ := w.keys.HostKey(context.Background(), "web"); !strings.HasSuffix(k, " ["+w.srv.Host()+"]:"+strconv.Itoa(w.srv.Port())) {
		t.Errorf("recorded host key %q, want one for the server's address", k)
	}
}

// TestRunFailures: each failure is a *StepError naming its step, and what
// follows the failed step is not done (nor told).
func TestRunFailures(t *testing.T) {
	for _, tc := range []struct {
		name     string
		boot     bool
		settings func(w *world) map[string]string
		before   func(w *world)
		step     string
		cause    string
		last     string // the last transition told
	}{
		{
			name: "ready program fails",
			boot: true,
			settings: func(w *world) map[string]string {
				return map[string]string{"readypgm": w.program("no.sh", "echo not yet >&2; exit 3")}
			},
			step: StepReadyPgm, cause: "exit status 3", last: "step readypgm ",
		},
		{
			name:     "boot program fails",
			boot:     true,
			settings: func(w *world) map[string]string { return map[string]string{"bootpgm": w.program("bad.sh", "exit 7")} },
			step:     StepBootPgm, cause: "exit status 7", last: "step bootpgm ",
		},
		{
			name:     "instance gone at status",
			settings: func(w *world) map[string]string { return map[string]string{"readypgm": w.program("ok.sh", "exit 0")} },
			before: func(w *world) {
				if err := w.cloud.Terminate(context.Background(), iaas.Ref{ID: w.inst.ID}); err != nil {
					w.t.Fatal(err)
				}
			},
			step: StepRunning, cause: "is terminated", last: "step running ",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			if tc.before != nil {
				tc.before(w)
			}
			f := &fakeService{settings: tc.settings(w)}
			p := Pipeline{Connector: w.conn}
			err := p.Run(testCtx(t), f.service("web"), w.host(), w.options(tc.boot))
			step, cause := StepOf(err)
			if step != tc.step || cause == nil || !strings.Contains(cause.Error(), tc.cause) {
				t.Fatalf("Run = %v; want step %s failing with %q", err, tc.step, tc.cause)
			}
			calls := f.recorded()
			if last := calls[len(calls)-1]; !strings.HasPrefix(last, tc.last) {
				t.Errorf("transitions %q: want the last to be %q", calls, tc.last)
			}
		})
	}
}

// TestRunStatus: the ready pipeline of a contextualized service runs the
// ready program only, and tells ready without having booted.
func TestRunStatus(t *testing.T) {
	w := newWorld(t)
	f := &fakeService{settings: map[string]string{
		"bootpgm":  w.program("boot.sh", "touch booted"),
		"readypgm": w.program("ready.sh", "exit 0"),
	}}
	o := w.options(false)
	o.Contextualized = true
	p := Pipeline{Connector: w.conn}
	if err := p.Run(testCtx(t), f.service("web"), w.host(), o); err != nil {
		t.Fatal(err)
	}
	want := []string{"step running " + w.inst.ID, "running " + w.inst.Hostname, "step connect " + w.srv.Host(),
		"step readypgm ", "ready ranBoot=false"}
	if diff := cmp.Diff(want, f.recorded()); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(w.work, "web", "booted")); err == nil {
		t.Error("the boot program ran at status")
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

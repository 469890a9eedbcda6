package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/iaastest"
	"github.com/cloudinitd/cloudinitd/iaas/local"
)

// envChild makes the test binary a launcher that exits right after
// launching (see TestInstancesSurviveLauncher).
const envChild = "LOCAL_TEST_LAUNCH_CHILD"

func TestMain(m *testing.M) {
	if code, ok := local.MaybeServe(); ok {
		os.Exit(code)
	}
	if dir := os.Getenv(envChild); dir != "" {
		os.Exit(launchChild(dir))
	}
	// A race-enabled binary sleeps a second at exit; the launcher
	// children of TestInstancesSurviveLauncher need not.
	if _, set := os.LookupEnv("GORACE"); !set {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	os.Exit(m.Run())
}

// launchChild launches two instances in dir, prints their refs as JSON and
// exits without terminating them.
func launchChild(dir string) int {
	d, err := local.New(local.Config{StateDir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var refs []iaas.Ref
	for i := range 2 {
		inst, err := d.Launch(context.Background(), iaas.LaunchSpec{
			Run: iaas.RunID{Name: "survive"}, Service: "svc" + strconv.Itoa(i), Attempt: 1,
			ClientToken: iaas.ClientToken("survive", "svc"+strconv.Itoa(i), 1),
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		refs = append(refs, iaas.Ref{ID: inst.ID, Handle: inst.Handle})
	}
	if err := json.NewEncoder(os.Stdout).Encode(refs); err != nil {
		return 1
	}
	return 0
}

func needProc(t testing.TB) {
	t.Helper()
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skipf("local driver needs /proc: %v", err)
	}
}

func newDriver(t testing.TB, dir string) *local.Driver {
	t.Helper()
	needProc(t)
	d, err := local.New(local.Config{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func ref(inst iaas.Instance) iaas.Ref { return iaas.Ref{ID: inst.ID, Handle: inst.Handle} }

// launch launches one instance and terminates it when the test ends.
func launch(t *testing.T, d *local.Driver, run, service string) iaas.Instance {
	t.Helper()
	inst, err := d.Launch(context.Background(), iaas.LaunchSpec{
		Run: iaas.RunID{Name: run}, Service: service, Attempt: 1, ClientToken: iaas.ClientToken(run, service, 1),
		Image: "none", Allocation: "small",
	})
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := d.Terminate(ctx, ref(inst)); err != nil {
			t.Errorf("cleanup: Terminate: %v", err)
		}
	})
	return inst
}

func waitRunning(t testing.TB, d iaas.Driver, inst iaas.Instance) iaas.Instance {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := iaastest.WaitFor(ctx, d, ref(inst), 10*time.Millisecond, func(i iaas.Instance) bool {
		return i.State == iaas.StateRunning || i.State.Final()
	})
	if err != nil {
		t.Fatalf("waiting for %s to run: %v", inst.ID, err)
	}
	if got.State != iaas.StateRunning {
		t.Fatalf("%s: state %s, err %v", inst.ID, got.State, got.Err)
	}
	return got
}

// dial logs in with the instance's own client key, checking its host key.
func dial(t *testing.T, inst iaas.Instance) *ssh.Client {
	t.Helper()
	c, err := dialWith(inst, clientSigner(t, inst.SSH.PrivateKeyPath))
	if err != nil {
		t.Fatalf("ssh %s: %v", inst.ID, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func clientSigner(t *testing.T, path string) ssh.Signer {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.ParsePrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func dialWith(inst iaas.Instance, signer ssh.Signer) (*ssh.Client, error) {
	hk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(inst.SSH.HostKey))
	if err != nil {
		return nil, fmt.Errorf("host key %q: %w", inst.SSH.HostKey, err)
	}
	return ssh.Dial("tcp", net.JoinHostPort(inst.SSH.Host, strconv.Itoa(inst.SSH.Port)), &ssh.ClientConfig{
		User:            inst.SSH.User,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.FixedHostKey(hk),
		Timeout:         10 * time.Second,
	})
}

// run runs cmd in a new session and returns stdout, stderr and the exit
// code (-1 with the error when it did not exit normally).
func run(t *testing.T, c *ssh.Client, cmd string) (string, string, int) {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out, errb bytes.Buffer
	s.Stdout, s.Stderr = &out, &errb
	err = s.Run(cmd)
	var ee *ssh.ExitError
	switch {
	case err == nil:
		return out.String(), errb.String(), 0
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitStatus()
	default:
		t.Fatalf("run %q: %v", cmd, err)
		return "", "", -1
	}
}

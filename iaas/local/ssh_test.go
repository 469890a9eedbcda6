package local_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/cloudinitd/cloudinitd/iaas"
)

func TestManyInstancesDistinctAddresses(t *testing.T) {
	d := newDriver(t, t.TempDir())
	const n = 20
	insts := make([]iaas.Instance, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			svc := "svc" + strconv.Itoa(i)
			insts[i], errs[i] = d.Launch(t.Context(), iaas.LaunchSpec{
				Run: iaas.RunID{Name: "many"}, Service: svc, Attempt: 1, ClientToken: iaas.ClientToken("many", svc, 1),
			})
		})
	}
	wg.Wait()
	var refs []iaas.Ref
	for i := range n {
		if errs[i] != nil {
			t.Errorf("launch %d: %v", i, errs[i])
			continue
		}
		refs = append(refs, ref(insts[i]))
	}
	t.Cleanup(func() {
		if err := d.Terminate(context.Background(), refs...); err != nil {
			t.Errorf("Terminate: %v", err)
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	addrs := map[string]string{}
	for _, inst := range insts {
		if inst.State != iaas.StatePending {
			t.Errorf("%s: Launch returned %s, want pending", inst.ID, inst.State)
		}
		if other, dup := addrs[inst.Hostname]; dup {
			t.Errorf("%s and %s share address %s", other, inst.ID, inst.Hostname)
		}
		addrs[inst.Hostname] = inst.ID
		if !strings.HasPrefix(inst.Hostname, "127.77.") || inst.SSH.Host != inst.Hostname {
			t.Errorf("%s: hostname %q, ssh host %q, want one 127.77.x.y", inst.ID, inst.Hostname, inst.SSH.Host)
		}
	}
	var runs sync.WaitGroup
	for _, inst := range insts {
		runs.Go(func() {
			waitRunning(t, d, inst)
			out, _, code := run(t, dial(t, inst), "echo hi")
			if out != "hi\n" || code != 0 {
				t.Errorf("%s: echo hi gave %q, exit %d", inst.ID, out, code)
			}
		})
	}
	runs.Wait()
}

func TestWrongClientKeyRejected(t *testing.T) {
	d := newDriver(t, t.TempDir())
	inst := waitRunning(t, d, launch(t, d, "keys", "web"))
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := dialWith(inst, other); err == nil {
		c.Close()
		t.Fatal("login with a foreign key succeeded")
	} else if !strings.Contains(err.Error(), "unable to authenticate") {
		t.Errorf("login with a foreign key: %v, want an authentication failure", err)
	}
	// Another run's key is foreign too.
	inst2 := waitRunning(t, d, launch(t, d, "other-run", "web"))
	if c, err := dialWith(inst, clientSigner(t, inst2.SSH.PrivateKeyPath)); err == nil {
		c.Close()
		t.Error("login with another run's key succeeded")
	}
	// The right key works.
	if out, _, _ := run(t, dial(t, inst), "true && echo ok"); out != "ok\n" {
		t.Errorf("right key: %q", out)
	}
}

func TestExecSemantics(t *testing.T) {
	d := newDriver(t, t.TempDir())
	inst := waitRunning(t, d, launch(t, d, "exec", "web"))
	c := dial(t, inst)
	tests := []struct {
		name, cmd      string
		stdout, stderr string
		code           int
	}{
		{"exit code", "exit 3", "", "", 3},
		{"stderr", "echo oops >&2; exit 1", "", "oops\n", 1},
		{"cwd is the work dir", "pwd", inst.WorkDir + "\n", "", 0},
		{"marker", "echo $" + "CLOUDINITD_LOCAL_INSTANCE_ID", inst.ID + "\n", "", 0},
		{"no server env", "echo x${CLOUDINITD_LOCAL_INSTANCE}x", "xx\n", "", 0},
		{"not found", "no-such-command-xyz 2>/dev/null", "", "", 127},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := run(t, c, tc.cmd)
			if out != tc.stdout || errOut != tc.stderr || code != tc.code {
				t.Errorf("%q: got (%q, %q, %d), want (%q, %q, %d)", tc.cmd, out, errOut, code, tc.stdout, tc.stderr, tc.code)
			}
		})
	}
}

func TestEnvAndStdin(t *testing.T) {
	d := newDriver(t, t.TempDir())
	inst := waitRunning(t, d, launch(t, d, "env", "web"))
	s, err := dial(t, inst).NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Setenv("GREETING", "hello"); err != nil {
		t.Fatal(err)
	}
	s.Stdin = strings.NewReader("line one\nline two\n")
	out, err := s.Output(`cat > upload.txt && echo "$GREETING $(wc -l < upload.txt)"`)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(strings.Fields(string(out)), " "); got != "hello 2" {
		t.Errorf("got %q, want %q", got, "hello 2")
	}
}

func TestSignalExit(t *testing.T) {
	d := newDriver(t, t.TempDir())
	inst := waitRunning(t, d, launch(t, d, "sig", "web"))
	s, err := dial(t, inst).NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Run("kill -TERM $$")
	ee, ok := err.(*ssh.ExitError)
	if !ok || ee.Signal() != "TERM" {
		t.Errorf("kill -TERM $$: %v, want exit signal TERM", err)
	}
}

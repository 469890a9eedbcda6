package local_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh/agent"
)

func TestAgentForwarding(t *testing.T) {
	if _, err := exec.LookPath("ssh-add"); err != nil {
		t.Skip("ssh-add not installed")
	}
	d := newDriver(t, t.TempDir())
	inst := waitRunning(t, d, launch(t, d, "agent", "web"))
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: priv, Comment: "forwarded-test-key"}); err != nil {
		t.Fatal(err)
	}
	c := dial(t, inst)
	if err := agent.ForwardToAgent(c, keyring); err != nil {
		t.Fatal(err)
	}
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := agent.RequestAgentForwarding(s); err != nil {
		t.Fatal(err)
	}
	out, err := s.CombinedOutput(`test -S "$SSH_AUTH_SOCK" && ssh-add -l`)
	if err != nil || !strings.Contains(string(out), "forwarded-test-key") {
		t.Errorf("ssh-add -l through the forwarded agent: %v: %q", err, out)
	}
}

// TestOpenSSHClient logs in with the system ssh client, as the boot step
// does, with the options the reference protocol uses.
func TestOpenSSHClient(t *testing.T) {
	sshBin, err := exec.LookPath("ssh")
	if err != nil {
		t.Skip("OpenSSH client not installed")
	}
	d := newDriver(t, t.TempDir())
	inst := waitRunning(t, d, launch(t, d, "openssh", "web"))
	cmd := exec.Command(sshBin, "-A", "-n", "-T",
		"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "PasswordAuthentication=no", "-o", "LogLevel=ERROR",
		"-p", strconv.Itoa(inst.SSH.Port), "-i", inst.SSH.PrivateKeyPath,
		"ubuntu@"+inst.SSH.Host, "cd "+inst.WorkDir+" && echo hi from $(pwd); exit 4")
	out, err := cmd.Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 4 {
		t.Fatalf("ssh: %v (want exit status 4)", err)
	}
	if got, want := string(out), "hi from "+inst.WorkDir+"\n"; got != want {
		t.Errorf("ssh output %q, want %q", got, want)
	}
}

func TestSFTPAndSCP(t *testing.T) {
	d := newDriver(t, t.TempDir())
	inst := waitRunning(t, d, launch(t, d, "sftp", "web"))
	c := dial(t, inst)
	sc, err := sftp.NewClient(c)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	f, err := sc.Create("uploaded.sh")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("#!/bin/sh\necho uploaded\n")); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(f.Chmod(0o755), f.Close()); err != nil {
		t.Fatal(err)
	}
	if out, _, code := run(t, c, "./uploaded.sh"); out != "uploaded\n" || code != 0 {
		t.Errorf("uploaded program: %q, exit %d", out, code)
	}
	scpBin, err := exec.LookPath("scp")
	if err != nil {
		t.Skip("OpenSSH scp not installed")
	}
	local := filepath.Join(t.TempDir(), "fetched")
	cmd := exec.Command(scpBin, "-q", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
		"-P", strconv.Itoa(inst.SSH.Port), "-i", inst.SSH.PrivateKeyPath,
		inst.SSH.User+"@"+inst.SSH.Host+":"+inst.WorkDir+"/uploaded.sh", local)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scp: %v: %s", err, out)
	}
	if b, err := os.ReadFile(local); err != nil || !strings.Contains(string(b), "echo uploaded") {
		t.Errorf("scp fetched %q, %v", b, err)
	}
}

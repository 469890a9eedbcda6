package provisioner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
)

type childProc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// startChild runs the provisioner on cfgPath, its log to logPath, and
// waits until it wrote its api_url.
func (k killCase) startChild(t *testing.T, cfgPath, stateDir, logPath string) *childProc {
	t.Helper()
	os.Remove(filepath.Join(stateDir, "api_url"))
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(k.exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+cfgPath)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &childProc{cmd: cmd, done: make(chan struct{})}
	go func() { c.err = cmd.Wait(); close(c.done) }()
	t.Cleanup(func() { c.kill(t) })
	return c
}

func (c *childProc) kill(t *testing.T) {
	if err := c.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Error(err)
	}
	<-c.done
}

// terminate stops the child as the program is stopped (SIGTERM: drain).
func (c *childProc) terminate(t *testing.T) {
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		if c.err != nil {
			t.Errorf("the provisioner ended with %v after SIGTERM", c.err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("the provisioner did not end within 30 s of SIGTERM")
		c.kill(t)
	}
}

// client waits for the child's api_url and returns a client of it.
func (k killCase) client(t *testing.T, stateDir string) *Client {
	c, err := waitClient(stateDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitClient waits (waitBudget) for the provisioner in stateDir to publish
// its URL; done, when it closes, ends the wait.
func waitClient(stateDir string, done <-chan struct{}) (*Client, error) {
	deadline := time.Now().Add(waitBudget)
	for {
		b, err := os.ReadFile(filepath.Join(stateDir, "api_url"))
		if err == nil && strings.HasSuffix(string(b), "\n") {
			tok, err := api.ReadToken(stateDir)
			if err != nil {
				return nil, err
			}
			return NewClient(strings.TrimSpace(string(b)), tok, nil), nil
		}
		select {
		case <-done:
			return nil, errors.New("the provisioner ended")
		default:
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no api_url after %v", waitBudget)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

type trigger struct {
	c    chan struct{}
	stop func()
}

// trigger fires at k's moment: k.at after the child published its API
// (in stateDir), or once the fake cloud in the drivers' state directory
// cloudDir has k.instances instances of the run (polled through
// the driver).
func (k killCase) trigger(t *testing.T, cloudDir, stateDir string, done <-chan struct{}) trigger {
	ctx, cancel := context.WithCancel(context.Background())
	fire := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		defer close(fire)
		if k.instances == 0 {
			if _, err := waitClient(stateDir, done); err != nil {
				return
			}
			select {
			case <-time.After(k.at):
			case <-ctx.Done():
			}
			return
		}
		d, err := fake.New(fake.Options{Dir: filepath.Join(cloudDir, fake.Name)})
		if err != nil {
			t.Error(err)
			return
		}
		for ctx.Err() == nil {
			if is, err := d.FindByRun(ctx, k.run()); err == nil && len(is) >= k.instances {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	return trigger{c: fire, stop: func() { cancel(); <-ended }}
}

package mgmt

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/provisioner"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/ec2"
	"github.com/cloudinitd/cloudinitd/iaas/ec2/ec2test"
)

const (
	ec2Key    = "AKIDEPUMGMTTEST00001"
	ec2Secret = "epumgmt-ec2test-secret"
)

// ec2Driver is an EC2 driver as a process opens it, with the credentials
// env gives the default chain and no instance metadata service.
func ec2Driver(env map[string]string) iaas.Driver {
	return ec2.Wrap(ec2.New(ec2.Options{
		Config:      iaas.Config{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }},
		LoadOptions: []func(*config.LoadOptions) error{config.WithEC2IMDSClientEnableState(imds.ClientDisabled)},
	}), nil)
}

// TestSweepEC2: workers a provisioner launched on an EC2 cloud (tagged
// with the run's id) survive a provisioner that says done; the sweep,
// with the workstation's credentials (the AWS_* variables), finds them by
// tag on the cloud of the provisioner's snapshot and names them; --force
// terminates them and nothing else (another incarnation's instance of
// the same run name is left alone).
func TestSweepEC2(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	srv := ec2test.New(ec2test.Options{AccessKeyID: ec2Key, SecretAccessKey: ec2Secret})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	id := epuFixture(t, dir, "r1")
	ctx := context.Background()

	// The provisioner's launches: its own credentials from its bootconf.
	prov := ec2Driver(nil)
	launch := func(run iaas.RunID, node string) string {
		in, err := prov.Launch(ctx, iaas.LaunchSpec{Run: run, Service: "provisioner", Owner: "provisioner",
			Region: "RegionOne", Endpoint: srv.URL(), Credentials: iaas.Credentials{Key: ec2Key, Secret: ec2Secret},
			Image: ec2test.DefaultImage, Allocation: "t3.micro", KeyName: ec2test.DefaultKeyPair,
			Tags: map[string]string{provisioner.TagNode: node}, ClientToken: run.String() + "-" + node})
		if err != nil {
			t.Fatal(err)
		}
		return in.ID
	}
	w1, w2 := launch(id, "n1"), launch(id, "n2")
	other := iaas.RunID{Name: "r1", Incarnation: "0123abcd"}
	stranger := launch(other, "n9")

	workstation := ec2Driver(map[string]string{"AWS_ACCESS_KEY_ID": ec2Key, "AWS_SECRET_ACCESS_KEY": ec2Secret})
	ch := &fakeChannel{answer: func(svc Service, args []string) (any, error) {
		switch args[0] {
		case "health":
			return provisioner.Health{Clouds: []provisioner.Cloud{{IaaS: "RegionOne", IaaSURL: srv.URL()}}}, nil
		case "terminate-all":
			return epu.TerminateAllResult{Done: true}, nil
		}
		return nil, fmt.Errorf("unexpected %q", args)
	}}
	m, _, _ := testManager(t, dir, ch, fakeCloud(t))
	m.OpenDriver = func(sel iaas.Selector, _ iaas.Config) (iaas.Driver, error) {
		if sel.Value != "RegionOne" || !sel.Endpoint {
			return nil, fmt.Errorf("unexpected cloud %+v", sel)
		}
		return workstation, nil
	}
	err := m.Do(ctx, Options{Action: ActionKillRun, Run: "r1", NoFetch: true})
	var se *SurvivorsError
	if !errors.As(err, &se) || len(se.Survivors) != 2 {
		t.Fatalf("killrun = %v, want the 2 workers named", err)
	}
	for _, s := range []string{w1, w2, "worker n1 launched by provisioner", "on RegionOne at " + srv.URL()} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("the error lacks %q:\n%v", s, err)
		}
	}
	if strings.Contains(err.Error(), stranger) {
		t.Errorf("another incarnation's instance is named:\n%v", err)
	}
	if err := m.Do(ctx, Options{Action: ActionKillRun, Run: "r1", Force: true}); err != nil {
		t.Fatalf("killrun --force: %v", err)
	}
	states := map[string]string{}
	for _, in := range srv.Instances() {
		states[in.ID] = in.State
	}
	for _, w := range []string{w1, w2} {
		if states[w] != "terminated" {
			t.Errorf("worker %s is %q after --force", w, states[w])
		}
	}
	if states[stranger] == "terminated" || states[stranger] == "shutting-down" {
		t.Errorf("another incarnation's instance %s was terminated", stranger)
	}
}

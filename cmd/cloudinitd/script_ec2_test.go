package main

import (
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cloudinitd/cloudinitd/iaas/ec2/ec2test"
)

// Credentials the scripts' fake EC2 accepts; it checks the signatures.
const (
	scriptEC2Key    = "AKIDSCRIPTTEST000001"
	scriptEC2Secret = "script-ec2test-secret"
)

// ec2Holder keeps a script's fake EC2 between its commands.
type ec2Holder struct{ srv *ec2test.Server }

// cmdEC2Cloud is "ec2cloud": it starts a fake EC2 Query API server for the
// script (closed when the script ends) and sets EC2_URL, EC2_KEY and
// EC2_SECRET for plans to use as env.NAME, and AWS_EC2_METADATA_DISABLED,
// so that no credential chain of the script asks the instance-metadata
// address (off this machine).
func cmdEC2Cloud(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: ec2cloud")
	}
	h := ts.Value("ec2").(*ec2Holder)
	h.srv = ec2test.New(ec2test.Options{AccessKeyID: scriptEC2Key, SecretAccessKey: scriptEC2Secret})
	ts.Defer(h.srv.Close)
	ts.Setenv("EC2_URL", h.srv.URL())
	ts.Setenv("EC2_KEY", scriptEC2Key)
	ts.Setenv("EC2_SECRET", scriptEC2Secret)
	ts.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// cmdEC2Down is "ec2down": the script's fake EC2 stops answering (its
// endpoint is gone); ec2instances still reads what it held.
func cmdEC2Down(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: ec2down")
	}
	h := ts.Value("ec2").(*ec2Holder)
	if h.srv == nil {
		ts.Fatalf("ec2down: no ec2cloud started")
	}
	h.srv.Close()
}

// cmdEC2Instances is "ec2instances STATE N": the fake EC2 holds exactly N
// instances in STATE (pending, running, shutting-down, terminated).
func cmdEC2Instances(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: ec2instances STATE N")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	h := ts.Value("ec2").(*ec2Holder)
	if h.srv == nil {
		ts.Fatalf("ec2instances: no ec2cloud started")
	}
	got := 0
	for _, in := range h.srv.Instances() {
		if in.State == args[0] {
			got++
		}
	}
	if got != want {
		ts.Fatalf("%d instances %s in the fake EC2, want %d: %+v", got, args[0], want, h.srv.Instances())
	}
}

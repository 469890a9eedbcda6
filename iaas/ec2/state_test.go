package ec2

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/cloudinitd/cloudinitd/iaas"
)

func TestStateOf(t *testing.T) {
	for name, want := range map[types.InstanceStateName]iaas.State{
		types.InstanceStateNamePending:      iaas.StatePending,
		types.InstanceStateNameRunning:      iaas.StateRunning,
		types.InstanceStateNameShuttingDown: iaas.StateTerminating,
		types.InstanceStateNameStopping:     iaas.StateTerminating,
		types.InstanceStateNameTerminated:   iaas.StateTerminated,
		types.InstanceStateNameStopped:      iaas.StateTerminated,
		"rebooting-or-new":                  iaas.StateUnknown,
	} {
		if got := stateOf(types.Instance{State: &types.InstanceState{Name: name}}); got != want {
			t.Errorf("stateOf(%s) = %s, want %s", name, got, want)
		}
	}
}

func TestPickHostname(t *testing.T) {
	for _, tc := range []struct{ from, dns, pub, priv, want string }{
		{"", "ec2-x", "1.2.3.4", "10.0.0.1", "ec2-x"},
		{"", "", "1.2.3.4", "10.0.0.1", "1.2.3.4"},
		{"", "", "", "10.0.0.1", "10.0.0.1"},
		{HostPrivateIP, "ec2-x", "1.2.3.4", "10.0.0.1", "10.0.0.1"},
		{HostPublicIP, "ec2-x", "1.2.3.4", "10.0.0.1", "1.2.3.4"},
		{HostPublicDNS, "", "1.2.3.4", "10.0.0.1", ""},
	} {
		if got := pickHostname(tc.from, tc.dns, tc.pub, tc.priv); got != tc.want {
			t.Errorf("pickHostname(%+v) = %q, want %q", tc, got, tc.want)
		}
	}
}

func TestClassOfStatus(t *testing.T) {
	for _, tc := range []struct {
		code   string
		status int
		want   error
	}{
		{"SomethingNew", 503, iaas.ErrTransient},
		{"SomethingNew", 400, iaas.ErrPermanent},
		{"InvalidAMIID.Unavailable", 400, iaas.ErrPermanent},
		{"InvalidInstanceID.NotFound", 400, iaas.ErrNotFound},
	} {
		if got, _ := classOf(tc.code, tc.status); !errors.Is(got, tc.want) {
			t.Errorf("classOf(%s, %d) = %v, want %v", tc.code, tc.status, got, tc.want)
		}
	}
	creds := iaas.Credentials{Key: "AKIDSCRUBTEST0000001", Secret: "s3cr3t"}
	err := classify("x", errors.New("secret s3cr3t of AKIDSCRUBTEST0000001 leaked"), creds)
	if want := "x: secret **** of key:" + keyHash(creds.Key) + " leaked"; err == nil || !errors.Is(err, iaas.ErrTransient) || err.Error() != want {
		t.Errorf("classify scrubs and classes a network error: %v, want %q", err, want)
	}
}

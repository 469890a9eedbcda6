package ec2_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/ec2/ec2test"
)

// TestErrorClasses injects each EC2 error code into a launch and checks
// the class, the code and whether a hint comes with it.
func TestErrorClasses(t *testing.T) {
	tests := []struct {
		code  string
		class error
		hint  bool
	}{
		{"RequestLimitExceeded", iaas.ErrThrottled, false},
		{"Throttling", iaas.ErrThrottled, false},
		{"InsufficientInstanceCapacity", iaas.ErrCapacity, true},
		{"InstanceLimitExceeded", iaas.ErrCapacity, true},
		{"InvalidAMIID.NotFound", iaas.ErrPermanent, true},
		{"InvalidAMIID.Malformed", iaas.ErrPermanent, true},
		{"InvalidKeyPair.NotFound", iaas.ErrPermanent, true},
		{"InvalidGroup.NotFound", iaas.ErrPermanent, true},
		{"InvalidParameterValue", iaas.ErrPermanent, true},
		{"AuthFailure", iaas.ErrPermanent, true},
		{"UnauthorizedOperation", iaas.ErrPermanent, true},
		{"InvalidClientTokenId", iaas.ErrPermanent, true},
		{"SignatureDoesNotMatch", iaas.ErrPermanent, true},
		{"InternalError", iaas.ErrTransient, false},
		{"Unavailable", iaas.ErrTransient, false},
		{"SomethingNew", iaas.ErrPermanent, false},
	}
	srv := newServer(t, ec2test.Options{})
	d := newDriver(nil)
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			srv.Fail("RunInstances", 1, tc.code)
			_, err := d.Launch(ctx(t), spec(srv, "err"))
			var ce *iaas.CloudError
			if !errors.As(err, &ce) {
				t.Fatalf("Launch error %v (%T), want *iaas.CloudError", err, err)
			}
			if !errors.Is(err, tc.class) || ce.Code != tc.code || ce.Op != "launch" {
				t.Errorf("got class %v code %q op %q, want %v %q launch", ce.Class, ce.Code, ce.Op, tc.class, tc.code)
			}
			if (ce.Hint != "") != tc.hint {
				t.Errorf("hint %q, want a hint: %v", ce.Hint, tc.hint)
			}
		})
	}
}

// TestCredentialErrors uses wrong credentials for real: the fake checks the
// key id and the SigV4 signature. No secret appears in the error.
func TestCredentialErrors(t *testing.T) {
	srv := newServer(t, ec2test.Options{})
	for _, c := range []iaas.Credentials{
		{Key: testKey, Secret: "wrong-secret-value"},
		{Key: "AKIDOTHERKEY00000000", Secret: testSecret},
	} {
		sp := spec(srv, "creds")
		sp.Credentials = c
		_, err := newDriver(nil).Launch(ctx(t), sp)
		var ce *iaas.CloudError
		if !errors.As(err, &ce) || !errors.Is(err, iaas.ErrPermanent) || !strings.Contains(ce.Hint, "iaas_key") {
			t.Errorf("credentials %s: err %v, want ErrPermanent with a hint naming iaas_key", c, err)
		}
		if strings.Contains(err.Error(), c.Secret) || strings.Contains(ce.Hint, c.Secret) {
			t.Errorf("error shows the secret: %v", err)
		}
	}
}

func TestNetworkErrorIsTransient(t *testing.T) {
	srv := ec2test.New(ec2test.Options{})
	sp := spec(srv, "net")
	srv.Close()
	_, err := newDriver(nil).Launch(ctx(t), sp)
	if !errors.Is(err, iaas.ErrTransient) {
		t.Errorf("launch against a closed endpoint: %v, want ErrTransient", err)
	}
}

func TestBadEndpointAndRegion(t *testing.T) {
	for _, tc := range []struct{ region, url, want string }{
		{"", "ftp://host", "iaas_url"},
		{"", "https://", "iaas_url"},
		{"", "http://user:pw@host", "iaas_url"},
		{"mars-north-1", "", "does not name an EC2 region"},
		{"nimbus", "", "needs iaas_url"},
	} {
		sp := iaas.LaunchSpec{Region: tc.region, Endpoint: tc.url, Image: "ami-1"}
		_, err := newDriver(nil).Launch(ctx(t), sp)
		if !errors.Is(err, iaas.ErrPermanent) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("iaas %q iaas_url %q: %v, want ErrPermanent mentioning %q", tc.region, tc.url, err, tc.want)
		}
	}
}

package ec2_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/ec2"
	"github.com/cloudinitd/cloudinitd/iaas/ec2/ec2test"
)

// TestDefaultChainFromInjectedEnv: without plan credentials the driver uses
// the default chain, whose AWS_* variables come from the injected env.
func TestDefaultChainFromInjectedEnv(t *testing.T) {
	srv := newServer(t, ec2test.Options{})
	sp := spec(srv, "default")
	sp.Credentials = iaas.Credentials{}
	good := env{"AWS_ACCESS_KEY_ID": testKey, "AWS_SECRET_ACCESS_KEY": testSecret}
	inst, err := newDriver(good).Launch(ctx(t), sp)
	if err != nil {
		t.Fatalf("Launch with env credentials: %v", err)
	}
	h, err := ec2.DecodeHandle(inst.Handle)
	if err != nil {
		t.Fatal(err)
	}
	if h.Credentials.Kind != "default" || h.Credentials.KeyID != "" {
		t.Errorf("handle credentials %+v, want the default chain", h.Credentials)
	}
	bad := env{"AWS_ACCESS_KEY_ID": "AKIDSOMEONEELSE00000", "AWS_SECRET_ACCESS_KEY": "x"}
	sp.ClientToken = "another"
	if _, err := newDriver(bad).Launch(ctx(t), sp); !errors.Is(err, iaas.ErrPermanent) {
		t.Errorf("Launch with another key in env: %v, want ErrPermanent", err)
	}
}

// TestHandleHasNoSecret: the handle names the endpoint, region and the
// credential source (the key id's fingerprint), never the secret nor the
// key id; a handle written with the key id reads back as its fingerprint.
func TestHandleHasNoSecret(t *testing.T) {
	srv := newServer(t, ec2test.Options{})
	sp := spec(srv, "handle")
	inst, err := newDriver(nil).Launch(ctx(t), sp)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(inst.Handle), testSecret) || strings.Contains(string(inst.Handle), testKey) {
		t.Fatalf("handle %s contains the secret or the key id", inst.Handle)
	}
	h, err := ec2.DecodeHandle(inst.Handle)
	if err != nil {
		t.Fatal(err)
	}
	if h.Endpoint != srv.URL() || h.Region != "us-east-1" || h.Credentials.Kind != "plan" || h.Credentials.KeyHash != testKeyHash {
		t.Errorf("handle %+v", h)
	}
	old, err := ec2.DecodeHandle([]byte(`{"region":"us-east-1","credentials":{"kind":"plan","key_id":"` + testKey + `"}}`))
	if err != nil || old.Credentials.KeyHash != testKeyHash || old.Credentials.KeyID != "" {
		t.Errorf("old handle: %+v %v", old, err)
	}
}

// TestReattach: a later process describes by handle. With the plan's
// credentials (AddScope) it works; with none it fails naming the key's
// fingerprint (never the key id);
// with the same key in its default chain it works.
func TestReattach(t *testing.T) {
	srv := newServer(t, ec2test.Options{})
	sp := spec(srv, "reattach")
	inst, err := newDriver(nil).Launch(ctx(t), sp)
	if err != nil {
		t.Fatal(err)
	}
	ref := iaas.Ref{ID: inst.ID, Handle: inst.Handle}
	if got, err := newFresh(sp).Describe(ctx(t), ref); err != nil || got[0].State != iaas.StateRunning {
		t.Errorf("with AddScope: %v %v", got, err)
	}
	_, err = newDriver(nil).Describe(ctx(t), ref)
	if !errors.Is(err, iaas.ErrPermanent) || !strings.Contains(err.Error(), testKeyHash) ||
		strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), testSecret) {
		t.Errorf("without credentials: %v, want ErrPermanent naming fingerprint %s", err, testKeyHash)
	}
	same := env{"AWS_ACCESS_KEY_ID": testKey, "AWS_SECRET_ACCESS_KEY": testSecret}
	if got, err := newDriver(same).Describe(ctx(t), ref); err != nil || got[0].State != iaas.StateRunning {
		t.Errorf("with the same key in env: %v %v", got, err)
	}
}

// TestNoCredentials: with no plan credentials and an empty default chain,
// every call fails at once with a permanent error and a hint, before any
// request: the retry wrapper does not retry it.
func TestNoCredentials(t *testing.T) {
	srv := newServer(t, ec2test.Options{})
	sp := spec(srv, "nocreds")
	sp.Credentials = iaas.Credentials{}
	d := ec2.Wrap(newDriver(env{}), nil)
	_, err := d.Launch(ctx(t), sp)
	var ce *iaas.CloudError
	if !errors.Is(err, iaas.ErrPermanent) || !errors.As(err, &ce) || !strings.Contains(ce.Hint, "env.NAME") {
		t.Fatalf("Launch without credentials: %v, want ErrPermanent with a hint", err)
	}
	if n := len(srv.Instances()); n != 0 {
		t.Errorf("%d instances launched", n)
	}
}

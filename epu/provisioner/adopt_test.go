package provisioner

import (
	"context"
	"os"
	"testing"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/iaas"
	"github.com/cloudinitd/cloudinitd/iaas/fake"
	"github.com/google/go-cmp/cmp"
)

// TestAdoptOrReap: a provisioner whose state was lost (its host replaced)
// adopts the run's workers it finds by tag (run id, owner = its service,
// launch and node tags): their launch and nodes are recorded again and
// they come back RUNNING, subscribers included. An owned instance without
// node tags, or of an unknown deployable type, is reaped (terminated).
// Instances of another owner or of another record of the run's name are
// left alone. Checked through the driver.
func TestAdoptOrReap(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	ctx := context.Background()
	sub := newSubscriber(t, "epu-sleeper")
	if _, err := h.client.Provision(ctx, epu.ProvisionRequest{LaunchID: "l1", DeployableType: "sleeper",
		NodeIDs: []string{"a", "b"}, Subscribers: []epu.Subscriber{sub.sub()}}); err != nil {
		t.Fatal(err)
	}
	h.waitState(epu.Pending, "a", "b")
	h.stop()
	if err := os.RemoveAll(h.cfg.StateDir); err != nil {
		t.Fatal(err)
	}
	cloud := h.cloud()
	launch := func(token, owner string, run iaas.RunID, tags map[string]string) string {
		in, err := cloud.Launch(ctx, iaas.LaunchSpec{Run: run, Service: token, Owner: owner, ClientToken: token, Tags: tags,
			Options: map[string]string{fake.KeyTerminateDelay: "0"}})
		if err != nil {
			t.Fatal(err)
		}
		return in.ID
	}
	untagged := launch("t-untagged", "provisioner", testRun, nil)
	unknownType := launch("t-type", "provisioner", testRun, map[string]string{TagLaunch: "l9", TagNode: "z", TagDeployableType: "gone"})
	otherOwner := launch("t-other", "other-provisioner", testRun, map[string]string{TagLaunch: "l8", TagNode: "y", TagDeployableType: "sleeper"})
	otherRecord := launch("t-record", "provisioner", iaas.RunID{Name: testRun.Name, Incarnation: "fff"}, map[string]string{TagLaunch: "l7", TagNode: "x", TagDeployableType: "sleeper"})
	before := h.liveIDs()

	h.start()
	h.waitFor("a and b adopted, two reaped", func() bool {
		return len(h.events(evNodeAdopted)) == 2 && len(h.events(evNodeReaped)) == 2
	})
	h.clock.Advance(5e9)
	h.query()
	h.waitState(epu.Running, "a", "b")
	var want []string
	for _, id := range before {
		if id != untagged && id != unknownType {
			want = append(want, id)
		}
	}
	if diff := cmp.Diff(want, h.liveIDs()); diff != "" {
		t.Errorf("live instances after adoption (-want +got):\n%s", diff)
	}
	for _, id := range []string{otherOwner, otherRecord} {
		if !contains(h.liveIDs(), id) {
			t.Errorf("instance %s of another owner or record was touched", id)
		}
	}
	h.waitFor("RUNNING pushed to the adopted launch's subscriber", func() bool { return sub.has("a", epu.Running) })
	h.waitFor("terminate_all done", func() bool {
		res, err := h.client.TerminateAll(ctx)
		return err == nil && res.Done
	})
	if diff := cmp.Diff(sortedCopy([]string{otherOwner, otherRecord}), h.liveIDs()); diff != "" {
		t.Errorf("after terminate_all (-want +got):\n%s", diff)
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

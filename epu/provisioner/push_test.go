package provisioner

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
)

// subscriber is a controller stand-in that records the node records
// pushed to it, checking the token derived for its service.
type subscriber struct {
	srv *httptest.Server
	svc string

	mu      sync.Mutex
	got     []epu.Node
	badAuth int
}

func newSubscriber(t *testing.T, svc string) *subscriber {
	s := &subscriber{svc: svc}
	tok, _ := api.ServiceToken(testSecret, svc)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+tok || r.URL.Path != "/v1/instance_state" {
			s.badAuth++
			w.WriteHeader(401)
			return
		}
		var n epu.Node
		if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
			w.WriteHeader(400)
			return
		}
		s.got = append(s.got, n)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *subscriber) sub() epu.Subscriber { return epu.Subscriber{Service: s.svc, URL: s.srv.URL} }

// states returns the states pushed for node id, in order.
func (s *subscriber) states(id string) []epu.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []epu.State
	for _, n := range s.got {
		if n.NodeID == id {
			out = append(out, n.State)
		}
	}
	return out
}

func (s *subscriber) has(id string, st epu.State) bool {
	for _, x := range s.states(id) {
		if x == st {
			return true
		}
	}
	return false
}

// deadURL is a loopback URL nothing listens on.
func deadURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String()
	ln.Close()
	return u
}

// TestPushes: a node's records reach the subscriber with its token, in
// forward order, ending TERMINATED; a dead subscriber (its pushes retried
// on the provisioner's clock, which stands still) stalls neither the
// launch nor the termination.
func TestPushes(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	live := newSubscriber(t, "epu-sleeper")
	dead := epu.Subscriber{Service: "epu-dead", URL: deadURL(t)}
	_, err := h.client.Provision(context.Background(), epu.ProvisionRequest{LaunchID: "l1", DeployableType: "sleeper",
		NodeIDs: []string{"a", "b"}, Subscribers: []epu.Subscriber{dead, live.sub()}})
	if err != nil {
		t.Fatal(err)
	}
	h.waitState(epu.Pending, "a", "b")
	if _, err := h.client.TerminateNodes(context.Background(), "a", "b"); err != nil {
		t.Fatal(err)
	}
	h.waitState(epu.Terminated, "a", "b")
	h.waitFor("TERMINATED pushed", func() bool { return live.has("a", epu.Terminated) && live.has("b", epu.Terminated) })
	for _, id := range []string{"a", "b"} {
		sts := live.states(id)
		for i := 1; i < len(sts); i++ {
			if sts[i].Before(sts[i-1]) {
				t.Errorf("%s: pushed %v: a state went back", id, sts)
			}
		}
	}
	if live.badAuth != 0 {
		t.Errorf("%d pushes with a wrong token", live.badAuth)
	}
}

// TestPushQueueBounded: a subscriber that does not answer keeps at most
// push.queue records waiting, the newest per node; older ones are
// dropped with a push_dropped warning each.
func TestPushQueueBounded(t *testing.T) {
	logs := &syncBuffer{}
	clock := newFakeClock()
	n := newNotifier(Push{Queue: 2, Retries: 3, Backoff: Duration(time.Second), MaxBackoff: Duration(time.Second), Timeout: Duration(time.Second)},
		testSecret, http.DefaultClient, clock, slog.New(slog.NewJSONHandler(logs, nil)))
	dead := epu.Subscriber{Service: "epu-dead", URL: deadURL(t)}
	for _, id := range []string{"a", "b", "a", "c", "d"} {
		n.push(dead, epu.Node{NodeID: id, State: epu.Pending})
	}
	if got := n.pending()["epu-dead "+dead.URL]; got != 2 {
		t.Errorf("%d records waiting, want 2 (push.queue)", got)
	}
	if got := strings.Count(logs.String(), `"event":"`+evPushDropped+`"`); got != 2 {
		t.Errorf("%d push_dropped warnings, want 2 (a and b dropped for c and d)\n%s", got, logs.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	n.start(ctx)
	cancel()
	n.wait() // a dead subscriber's goroutine ends with the provisioner
}

// TestDumpState: dump_state sends each known node's latest record once to
// its subscribers plus force_subscribe, and {node_id, 900-FAILED} for an
// unknown id to force_subscribe only.
func TestDumpState(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	owner := newSubscriber(t, "epu-sleeper")
	force := newSubscriber(t, "epu-other")
	if _, err := h.client.Provision(context.Background(), epu.ProvisionRequest{LaunchID: "l1", DeployableType: "sleeper",
		NodeIDs: []string{"a"}, Subscribers: []epu.Subscriber{owner.sub()}}); err != nil {
		t.Fatal(err)
	}
	h.waitState(epu.Pending, "a")
	h.waitFor("PENDING pushed", func() bool { return owner.has("a", epu.Pending) })
	before := len(owner.states("a"))
	fs := force.sub()
	res, err := h.client.DumpState(context.Background(), epu.DumpStateRequest{NodeIDs: []string{"a", "ghost"}, ForceSubscribe: &fs})
	if err != nil || res.Sent != 3 || len(res.Unknown) != 1 {
		t.Fatalf("dump_state: %+v %v; want 3 sent, ghost unknown", res, err)
	}
	h.waitFor("dumped records", func() bool {
		return len(owner.states("a")) == before+1 && len(force.states("a")) == 1 && len(force.states("ghost")) == 1
	})
	if got := force.states("ghost"); got[0] != epu.Failed {
		t.Errorf("ghost pushed as %v, want 900-FAILED", got)
	}
	if len(owner.states("ghost")) != 0 {
		t.Errorf("the unknown id went to the launch's subscriber too")
	}
}

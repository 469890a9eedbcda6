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

	"github.com/google/go-cmp/cmp"

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

// TestDumpStateMovesSubscriber: a controller restarted on another port
// asks dump_state with itself (its service, its new URL) as
// force_subscribe; from then on every push of its launch goes to the new
// URL, for the nodes it named and the others of the launch, and the move
// is recorded (a restarted provisioner pushes there too). A
// force_subscribe of another service moves nothing.
func TestDumpStateMovesSubscriber(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	ctx := context.Background()
	before := newSubscriber(t, "epu-sleeper")
	watcher := newSubscriber(t, "epu-watcher")
	if _, err := h.client.Provision(ctx, epu.ProvisionRequest{LaunchID: "l1", DeployableType: "sleeper",
		NodeIDs: []string{"a", "b", "c"}, Subscribers: []epu.Subscriber{watcher.sub(), before.sub()}}); err != nil {
		t.Fatal(err)
	}
	h.waitState(epu.Pending, "a", "b", "c")
	h.waitFor("PENDING pushed", func() bool {
		return before.has("a", epu.Pending) && before.has("b", epu.Pending) && before.has("c", epu.Pending)
	})
	subscribers := func() []epu.Subscriber {
		t.Helper()
		l, err := h.p.store.Launch(ctx, "l1")
		if err != nil {
			t.Fatal(err)
		}
		return l.Subscribers
	}

	other := newSubscriber(t, "epu-other").sub()
	if _, err := h.client.DumpState(ctx, epu.DumpStateRequest{NodeIDs: []string{"a"}, ForceSubscribe: &other}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]epu.Subscriber{watcher.sub(), before.sub()}, subscribers()); diff != "" {
		t.Errorf("another service's force_subscribe changed the subscribers (-want +got):\n%s", diff)
	}

	before.srv.Close() // the controller stops, and starts again elsewhere
	after := newSubscriber(t, "epu-sleeper")
	moved := after.sub()
	if _, err := h.client.DumpState(ctx, epu.DumpStateRequest{NodeIDs: []string{"a"}, ForceSubscribe: &moved}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the dump at the new URL", func() bool { return after.has("a", epu.Pending) })
	want := []epu.Subscriber{watcher.sub(), moved}
	if diff := cmp.Diff(want, subscribers()); diff != "" {
		t.Errorf("subscribers after the move (-want +got):\n%s", diff)
	}
	wantEv := []map[string]any{{"launch_id": "l1", "subscriber": "epu-sleeper", "from": before.srv.URL, "url": after.srv.URL}}
	var gotEv []map[string]any
	for _, e := range h.events(evSubscriberMoved) {
		gotEv = append(gotEv, map[string]any{"launch_id": e["launch_id"], "subscriber": e["subscriber"], "from": e["from"], "url": e["url"]})
	}
	if diff := cmp.Diff(wantEv, gotEv); diff != "" {
		t.Errorf("%s events (-want +got):\n%s", evSubscriberMoved, diff)
	}

	if _, err := h.client.TerminateNodes(ctx, "a", "b"); err != nil {
		t.Fatal(err)
	}
	h.waitState(epu.Terminated, "a", "b")
	h.waitFor("TERMINATED pushed to the new URL", func() bool {
		return after.has("a", epu.Terminated) && after.has("b", epu.Terminated) &&
			watcher.has("a", epu.Terminated) && watcher.has("b", epu.Terminated)
	})

	h.restart()
	if diff := cmp.Diff(want, subscribers()); diff != "" {
		t.Errorf("subscribers after a provisioner restart (-want +got):\n%s", diff)
	}
	if _, err := h.client.TerminateNodes(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	h.waitState(epu.Terminated, "c")
	h.waitFor("TERMINATED of c pushed to the new URL", func() bool { return after.has("c", epu.Terminated) })
	if after.badAuth != 0 || watcher.badAuth != 0 {
		t.Errorf("pushes with a wrong token: %d at the new URL, %d to the watcher", after.badAuth, watcher.badAuth)
	}
}

// TestMoveSubscriber: the subscriber of the service moves in place; the
// others stay; several of the service become one.
func TestMoveSubscriber(t *testing.T) {
	w := epu.Subscriber{Service: "w", URL: "http://127.0.0.1:1"}
	old := epu.Subscriber{Service: "c", URL: "http://127.0.0.1:2"}
	old2 := epu.Subscriber{Service: "c", URL: "http://127.0.0.1:3"}
	to := epu.Subscriber{Service: "c", URL: "http://127.0.0.1:4"}
	for _, tc := range []struct {
		name      string
		subs      []epu.Subscriber
		stale     bool
		wantMoved []epu.Subscriber
	}{
		{"moved in place", []epu.Subscriber{old, w}, true, []epu.Subscriber{to, w}},
		{"several become one", []epu.Subscriber{w, old, old2}, true, []epu.Subscriber{w, to}},
		{"already there", []epu.Subscriber{w, to}, false, nil},
		{"another service only", []epu.Subscriber{w}, false, nil},
		{"none", nil, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := stale(tc.subs, to); got != tc.stale {
				t.Fatalf("stale = %v, want %v", got, tc.stale)
			}
			if !tc.stale {
				return
			}
			if diff := cmp.Diff(tc.wantMoved, moveSubscriber(tc.subs, to)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

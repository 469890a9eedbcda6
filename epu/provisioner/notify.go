package provisioner

import (
	"context"
	"log/slog"
	"net/http"
	"sync"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/api"
	"github.com/cloudinitd/cloudinitd/iaas"
)

// notifier pushes node records to subscribers (POST URL/v1/instance_state),
// one goroutine per subscriber with a bounded queue, so a slow or dead
// subscriber delays only itself: the provisioner never waits for a push.
// A record queued for a node replaces the one already waiting for it
// (the newest record is what a subscriber needs); beyond push.queue nodes
// the oldest waiting record is dropped with a warning. Each record is
// tried push.retries times with doubling waits, then dropped with a
// warning.
type notifier struct {
	cfg    Push
	secret string
	hc     *http.Client
	clock  iaas.Clock
	log    *slog.Logger

	mu   sync.Mutex
	ctx  context.Context // nil before start
	subs map[epu.Subscriber]*subQueue
	wg   sync.WaitGroup
}

type subQueue struct {
	sub    epu.Subscriber
	signal chan struct{}

	mu      sync.Mutex
	order   []string            // node ids, oldest first
	waiting map[string]epu.Node // node id -> newest record
	running bool
}

func newNotifier(cfg Push, secret string, hc *http.Client, clock iaas.Clock, log *slog.Logger) *notifier {
	return &notifier{cfg: cfg, secret: secret, hc: hc, clock: clock, log: log, subs: map[epu.Subscriber]*subQueue{}}
}

// start lets the queues drain until ctx ends.
func (n *notifier) start(ctx context.Context) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.ctx = ctx
	for _, q := range n.subs {
		n.run(q)
	}
}

// wait returns once every subscriber's goroutine ended (after ctx).
func (n *notifier) wait() { n.wg.Wait() }

// push queues rec for sub.
func (n *notifier) push(sub epu.Subscriber, rec epu.Node) {
	n.mu.Lock()
	q, ok := n.subs[sub]
	if !ok {
		q = &subQueue{sub: sub, signal: make(chan struct{}, 1), waiting: map[string]epu.Node{}}
		n.subs[sub] = q
	}
	if n.ctx != nil {
		n.run(q)
	}
	n.mu.Unlock()

	q.mu.Lock()
	if _, queued := q.waiting[rec.NodeID]; !queued {
		q.order = append(q.order, rec.NodeID)
	}
	q.waiting[rec.NodeID] = rec
	var dropped string
	if len(q.order) > n.cfg.Queue {
		dropped, q.order = q.order[0], q.order[1:]
		delete(q.waiting, dropped)
	}
	q.mu.Unlock()
	if dropped != "" {
		n.log.Warn(evPushDropped, "event", evPushDropped, "subscriber", sub.Service, "url", sub.URL, "node_id", dropped,
			"why", "the subscriber's queue is full (push.queue): its oldest waiting record is dropped")
	}
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// run starts q's goroutine once; n.mu is held.
func (n *notifier) run(q *subQueue) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.running {
		return
	}
	q.running = true
	ctx := n.ctx
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.drain(ctx, q)
	}()
}

// drain sends q's records until ctx ends.
func (n *notifier) drain(ctx context.Context, q *subQueue) {
	tok, _ := api.ServiceToken(n.secret, q.sub.Service) // the secret was checked by New
	c := &api.Client{BaseURL: q.sub.URL, Token: tok, HTTP: n.hc}
	for {
		q.mu.Lock()
		if len(q.order) == 0 {
			q.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-q.signal:
				continue
			}
		}
		id := q.order[0]
		rec := q.waiting[id]
		q.order = q.order[1:]
		delete(q.waiting, id)
		q.mu.Unlock()
		if err := n.send(ctx, c, rec); err != nil {
			if ctx.Err() != nil {
				return
			}
			n.log.Warn("push_failed", "event", "push_failed", "subscriber", q.sub.Service, "url", q.sub.URL,
				"node_id", rec.NodeID, "state", string(rec.State), "error", err.Error())
		}
	}
}

// send posts rec, retrying with doubling waits.
func (n *notifier) send(ctx context.Context, c *api.Client, rec epu.Node) error {
	wait := n.cfg.Backoff.D()
	var err error
	for attempt := 1; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout.D())
		err = c.Call(cctx, http.MethodPost, "/v1/instance_state", rec, nil)
		cancel()
		if err == nil || !api.Retryable(err) || attempt >= n.cfg.Retries || ctx.Err() != nil {
			return err
		}
		if serr := n.clock.Sleep(ctx, wait); serr != nil {
			return err
		}
		wait = min(2*wait, n.cfg.MaxBackoff.D())
	}
}

// pending returns how many records wait for each subscriber (health).
func (n *notifier) pending() map[string]int {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := map[string]int{}
	for s, q := range n.subs {
		q.mu.Lock()
		out[s.Service+" "+s.URL] = len(q.order)
		q.mu.Unlock()
	}
	return out
}

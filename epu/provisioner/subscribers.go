package provisioner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cloudinitd/cloudinitd/epu"
)

// resubscribe moves the subscriber of launchID whose service is to's to
// to's URL (dump_state's force_subscribe: the subscriber says where it is
// now, as a controller restarted on another port does), recording it and
// updating the cache; it reports whether the launch's subscribers changed.
// A service names one subscriber (its pushes carry that service's token):
// several entries of to's service become one. A launch with no subscriber
// of that service, or with to already, is left alone.
func (p *Provisioner) resubscribe(ctx context.Context, launchID string, to epu.Subscriber) (bool, error) {
	subs, err := p.subscribers(ctx, launchID)
	if err != nil || !stale(subs, to) {
		return false, err
	}
	// Under subsMu, so no push reads the cache between the write and
	// its update.
	p.subsMu.Lock()
	defer p.subsMu.Unlock()
	var from []string // the URLs it had
	l, changed, err := p.store.UpdateLaunch(ctx, launchID, func(l *launchRec) bool {
		if !stale(l.Subscribers, to) {
			return false
		}
		for _, s := range l.Subscribers {
			if s.Service == to.Service {
				from = append(from, s.URL)
			}
		}
		l.Subscribers = moveSubscriber(l.Subscribers, to)
		return true
	})
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("launch %s: move subscriber %s: %w", launchID, to.Service, err)
	}
	p.subs[launchID] = l.Subscribers
	if changed {
		p.event(ctx, evSubscriberMoved, "launch_id", launchID, "subscriber", to.Service,
			"from", strings.Join(from, ","), "url", to.URL)
	}
	return changed, nil
}

// stale reports whether subs has a subscriber of to's service and not to
// itself: one that moveSubscriber moves.
func stale(subs []epu.Subscriber, to epu.Subscriber) bool {
	return !containsSub(subs, to) && slices.ContainsFunc(subs, func(s epu.Subscriber) bool { return s.Service == to.Service })
}

// moveSubscriber returns subs with the first subscriber of to's service
// replaced by to and the others of that service dropped.
func moveSubscriber(subs []epu.Subscriber, to epu.Subscriber) []epu.Subscriber {
	out := make([]epu.Subscriber, 0, len(subs))
	moved := false
	for _, s := range subs {
		switch {
		case s.Service != to.Service:
			out = append(out, s)
		case !moved:
			out, moved = append(out, to), true
		}
	}
	return out
}

func containsSub(subs []epu.Subscriber, s epu.Subscriber) bool {
	return slices.Contains(subs, s)
}

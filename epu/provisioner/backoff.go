package provisioner

import (
	"errors"
	"sync"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// backoffs remembers, per deployable type and site, until when launches
// wait after the cloud refused one for capacity (quota, stock-out) or
// throttling, as CycleCloud throttles a type after a capacity error. It
// lives in memory: a restarted provisioner tries again at once.
type backoffs struct {
	cfg   Backoff
	clock iaas.Clock

	mu    sync.Mutex
	until map[[2]string]backoff
}

type backoff struct {
	until time.Time
	why   string
}

func newBackoffs(cfg Backoff, clock iaas.Clock) *backoffs {
	return &backoffs{cfg: cfg, clock: clock, until: map[[2]string]backoff{}}
}

// note records a launch error of dt on site; it returns how long launches
// now wait, 0 for an error that is not a reason to back off.
func (b *backoffs) note(dt, site string, err error) time.Duration {
	var d time.Duration
	switch {
	case errors.Is(err, iaas.ErrCapacity):
		d = b.cfg.Capacity.D()
	case errors.Is(err, iaas.ErrThrottled):
		d = b.cfg.Throttled.D()
	default:
		return 0
	}
	until := b.clock.Now().Add(d)
	b.mu.Lock()
	defer b.mu.Unlock()
	if cur := b.until[[2]string{dt, site}]; cur.until.Before(until) {
		b.until[[2]string{dt, site}] = backoff{until: until, why: err.Error()}
	}
	return d
}

// active returns until when launches of dt on site wait and why; ok false
// when they need not.
func (b *backoffs) active(dt, site string) (until time.Time, why string, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	cur, found := b.until[[2]string{dt, site}]
	if !found || !b.clock.Now().Before(cur.until) {
		return time.Time{}, "", false
	}
	return cur.until, cur.why, true
}

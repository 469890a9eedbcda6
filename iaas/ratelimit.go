package iaas

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/time/rate"
)

// RateOption adjusts [WithRateLimit].
type RateOption func(*rateDriver)

// RateClock makes the limiter read and wait on c instead of the system
// clock.
func RateClock(c Clock) RateOption {
	return func(r *rateDriver) { r.clock = clockOrSystem(c) }
}

// RateKey replaces [CredentialKey] as the function that picks a launch's
// token bucket.
func RateKey(f func(LaunchSpec) string) RateOption {
	return func(r *rateDriver) { r.key = f }
}

// CredentialKey is the default bucket key of [WithRateLimit]: the access
// key id with the region and endpoint, the scope clouds rate-limit by. The
// secret is not part of it. A spec with none of the three gives "", the
// default bucket, which Describe and Terminate also use for ids this
// wrapper did not launch.
func CredentialKey(spec LaunchSpec) string {
	if spec.Credentials.Key == "" && spec.Region == "" && spec.Endpoint == "" {
		return ""
	}
	return spec.Credentials.Key + "|" + spec.Region + "|" + spec.Endpoint
}

// WithRateLimit returns d with its calls limited to perSecond on average,
// in bursts of at most burst, by one token bucket per credential key (see
// [CredentialKey]). Launch picks the bucket from its spec; Describe and
// Terminate from the key of the first ref this wrapper launched, or the
// default ("") bucket for ids it did not launch. Waiting honours ctx.
// perSecond <= 0 means no limit; burst < 1 means 1.
//
// Each call takes one token, whatever the number of ids in it.
func WithRateLimit(d Driver, perSecond float64, burst int, opts ...RateOption) Driver {
	limit := rate.Limit(perSecond)
	if perSecond <= 0 {
		limit = rate.Inf
	}
	r := &rateDriver{
		d: d, limit: limit, burst: max(burst, 1),
		clock: SystemClock(), key: CredentialKey,
		buckets: map[string]*rate.Limiter{}, idKeys: map[string]string{},
	}
	for _, o := range opts {
		o(r)
	}
	return r
}

type rateDriver struct {
	d     Driver
	limit rate.Limit
	burst int
	clock Clock
	key   func(LaunchSpec) string

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	idKeys  map[string]string // instance id -> bucket key, learned at launch
}

var _ Driver = (*rateDriver)(nil)

func (r *rateDriver) Name() string   { return r.d.Name() }
func (r *rateDriver) Unwrap() Driver { return r.d }

// wait takes one token from the bucket of key, sleeping on the clock until
// it is due; when ctx ends first, the token is given back.
func (r *rateDriver) wait(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	r.mu.Lock()
	lim, ok := r.buckets[key]
	if !ok {
		lim = rate.NewLimiter(r.limit, r.burst)
		r.buckets[key] = lim
	}
	r.mu.Unlock()

	now := r.clock.Now()
	res := lim.ReserveN(now, 1)
	if !res.OK() {
		return fmt.Errorf("%s: rate limit cannot grant a call", op)
	}
	if err := r.clock.Sleep(ctx, res.DelayFrom(now)); err != nil {
		res.CancelAt(r.clock.Now())
		return fmt.Errorf("%s: waiting for the rate limit: %w", op, err)
	}
	return nil
}

func (r *rateDriver) refKey(refs []Ref) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ref := range refs {
		if k, ok := r.idKeys[ref.ID]; ok {
			return k
		}
	}
	return ""
}

func (r *rateDriver) Launch(ctx context.Context, spec LaunchSpec) (Instance, error) {
	key := r.key(spec)
	if err := r.wait(ctx, "launch", key); err != nil {
		return Instance{}, err
	}
	inst, err := r.d.Launch(ctx, spec)
	if err == nil && inst.ID != "" {
		r.mu.Lock()
		r.idKeys[inst.ID] = key
		r.mu.Unlock()
	}
	return inst, err
}

func (r *rateDriver) Describe(ctx context.Context, refs ...Ref) ([]Instance, error) {
	if err := r.wait(ctx, "describe", r.refKey(refs)); err != nil {
		return nil, err
	}
	return r.d.Describe(ctx, refs...)
}

func (r *rateDriver) Terminate(ctx context.Context, refs ...Ref) error {
	if err := r.wait(ctx, "terminate", r.refKey(refs)); err != nil {
		return err
	}
	return r.d.Terminate(ctx, refs...)
}

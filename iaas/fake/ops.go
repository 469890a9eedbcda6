package fake

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"github.com/cloudinitd/cloudinitd/iaas"
)

// failDraw decides whether this launch call fails with an injected
// ErrTransient. The draw hashes the seed, the launch (run name, service,
// attempt: not the client token, which carries the record's random
// incarnation) and how many launch calls this driver has seen for it, so
// it is the same in every run of a plan whatever the order of concurrent
// calls, and a retry of the same launch draws anew.
func (d *Driver) failDraw(k knobs, spec iaas.LaunchSpec) bool {
	launch := spec.Run.Name + "\x00" + spec.Service + "\x00" + strconv.Itoa(spec.Attempt)
	if k.errorRate <= 0 {
		return false
	}
	d.mu.Lock()
	n := d.draws[launch]
	d.draws[launch] = n + 1
	d.mu.Unlock()
	sum := sha256.Sum256([]byte(strconv.FormatUint(k.seed, 10) + "\x00" + launch + "\x00" + strconv.FormatUint(n, 10)))
	u := float64(binary.BigEndian.Uint64(sum[:8])>>11) / (1 << 53)
	return u < k.errorRate
}

// checkCapacity fails with ErrCapacity when the cloud already has
// fake_capacity live (pending or running) instances. It reads every
// record, so it costs something only when the knob is set. Called under
// the cloud lock.
func (d *Driver) checkCapacity(k knobs, now time.Time) error {
	if k.capacity <= 0 {
		return nil
	}
	all, err := d.st.all()
	if err != nil {
		return err
	}
	live := 0
	for i := range all {
		if all[i].live(now) {
			live++
		}
	}
	if live < k.capacity {
		return nil
	}
	return &iaas.CloudError{Class: iaas.ErrCapacity, Op: "launch", Code: "fake.capacity",
		Message: fmt.Sprintf("fake: no capacity: %d live instances (%s=%d)", live, KeyCapacity, k.capacity),
		Hint:    "terminate instances or raise " + KeyCapacity}
}

// Describe returns the instances in the order asked, their state computed
// from their timestamps now. An unknown id comes back Terminated with an
// ErrNotFound Err, not as an error of the call.
func (d *Driver) Describe(ctx context.Context, refs ...iaas.Ref) ([]iaas.Instance, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("describe: %w", err)
	}
	now := d.clock.Now()
	out := make([]iaas.Instance, len(refs))
	for i, ref := range refs {
		r, ok, err := d.st.load(ref.ID)
		if err != nil {
			return nil, fmt.Errorf("describe: %w", err)
		}
		if !ok {
			out[i] = notFound(ref.ID)
			continue
		}
		out[i] = r.instance(now)
	}
	return out, nil
}

// Terminate marks the instances terminating; each becomes terminated
// fake_terminate_delay later. Unknown and already terminated ids are
// skipped without error.
func (d *Driver) Terminate(ctx context.Context, refs ...iaas.Ref) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("terminate: %w", err)
	}
	unlock, err := d.st.lock()
	if err != nil {
		return fmt.Errorf("terminate: %w", err)
	}
	defer unlock()
	now := d.clock.Now()
	for _, ref := range refs {
		r, ok, err := d.st.load(ref.ID)
		if err != nil {
			return fmt.Errorf("terminate: %w", err)
		}
		if !ok || r.TerminatedAt != nil {
			continue
		}
		r.TerminatedAt = &now
		if err := d.st.save(r); err != nil {
			return fmt.Errorf("terminate: %w", err)
		}
		d.log.Debug("fake terminate", "id", r.ID)
	}
	return nil
}

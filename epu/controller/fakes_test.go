package controller

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/cloudinitd/cloudinitd/epu"
)

// fakeClock is a test clock: time moves only by Advance, which fires the
// channels of After that fell due.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{at: c.now.Add(d), ch: ch})
	return ch
}

// Advance moves the clock by d and fires what fell due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waiters = slices.DeleteFunc(c.waiters, func(w fakeWaiter) bool {
		if w.at.After(c.now) {
			return false
		}
		w.ch <- c.now
		return true
	})
}

// fakeProvisioner records the calls it gets; fail makes them fail.
type fakeProvisioner struct {
	mu          sync.Mutex
	provisions  []epu.ProvisionRequest
	terminates  [][]string
	dumps       []epu.DumpStateRequest
	fail        bool
	onProvision func(epu.ProvisionRequest) // called outside mu, before answering
}

var errProvisionerDown = errors.New("provisioner unreachable")

func (p *fakeProvisioner) Provision(_ context.Context, req epu.ProvisionRequest) error {
	p.mu.Lock()
	hook := p.onProvision
	p.mu.Unlock()
	if hook != nil {
		hook(req)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.provisions = append(p.provisions, req)
	if p.fail {
		return errProvisionerDown
	}
	return nil
}

func (p *fakeProvisioner) TerminateNodes(_ context.Context, ids []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.terminates = append(p.terminates, ids)
	if p.fail {
		return errProvisionerDown
	}
	return nil
}

func (p *fakeProvisioner) DumpState(_ context.Context, req epu.DumpStateRequest) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dumps = append(p.dumps, req)
	if p.fail {
		return errProvisionerDown
	}
	return nil
}

func (p *fakeProvisioner) setFail(f bool) { p.mu.Lock(); p.fail = f; p.mu.Unlock() }

func (p *fakeProvisioner) counts() (prov, term, dump int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.provisions), len(p.terminates), len(p.dumps)
}

// terminated returns every id asked to terminate, in order.
func (p *fakeProvisioner) terminated() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, ids := range p.terminates {
		out = append(out, ids...)
	}
	return out
}

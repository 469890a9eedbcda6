package controller

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// Decide, reconfigure, queries and ingestion share one slot: while a
// decide runs, none of them enters, and each goes on once it returns.
func TestOneSlot(t *testing.T) {
	var inside, overlaps atomic.Int32
	enter := func() {
		if inside.Add(1) > 1 {
			overlaps.Add(1)
		}
	}
	leave := func() { inside.Add(-1) }
	release := make(chan struct{})
	started := make(chan struct{})
	e := &scriptedEngine{
		decide: func(n int, c engine.Control, _ *engine.State) error {
			enter()
			defer leave()
			if n == 2 {
				close(started)
				<-release
				_, _, err := c.Launch("", "", "", nil)
				return err
			}
			return nil
		},
		reconfigure: func(engine.Control, engine.Conf) error { enter(); leave(); return nil },
	}
	h := newHarness(t, testConfig(t.TempDir(), "scripted", nil), e)
	d := h.domain()
	go d.decide(context.Background())
	<-started
	ctx := context.Background()
	var wg sync.WaitGroup
	var order []string
	var mu sync.Mutex
	done := func(what string) { mu.Lock(); order = append(order, what); mu.Unlock() }
	calling := make(chan struct{}, 4)
	for what, f := range map[string]func(){
		"reconfigure": func() { d.reconfigure(ctx, engine.Conf{"x": 1.0}) },
		"whole_state": func() { d.wholeState() },
		"sensor":      func() { d.ingestSensor(ctx, epu.Sensor{SensorID: "s", Time: 1, Value: 1.0}) },
		"heartbeat":   func() { d.heartbeat(ctx, epu.Heartbeat{NodeID: "x", State: epu.HealthOK}) },
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			calling <- struct{}{}
			f()
			done(what)
		}()
	}
	for range 4 {
		<-calling
	}
	for range 1000 {
		runtime.Gosched()
	}
	mu.Lock()
	early := len(order)
	mu.Unlock()
	close(release)
	wg.Wait()
	if early != 0 {
		t.Errorf("%d calls finished while a decide held the slot: %v", early, order)
	}
	if n := overlaps.Load(); n != 0 {
		t.Errorf("%d engine calls overlapped", n)
	}
	// The decide's launch happened before the queries saw the domain.
	if got := len(h.ids(epu.Requesting)); got != 1 {
		t.Errorf("instances after the decide: %d; want 1", got)
	}
}

package main

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cloudinitd/cloudinitd/bootlevel"
)

// stepTimer is a bootlevel.Observer that times every service's steps: a
// step lasts from its step event to the service's next step or state
// event, whichever comes first.
type stepTimer struct {
	mu    sync.Mutex
	open  map[string]openStep        // service -> step under way
	spans map[string][]time.Duration // step -> durations
	order []string                   // steps in order of first appearance
}

type openStep struct {
	step  string
	start time.Time
}

func newStepTimer() *stepTimer {
	return &stepTimer{open: map[string]openStep{}, spans: map[string][]time.Duration{}}
}

// Event implements bootlevel.Observer.
func (t *stepTimer) Event(e bootlevel.Event) {
	if e.Service == "" || (e.Kind != bootlevel.KindStep && e.Kind != bootlevel.KindState) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if o, ok := t.open[e.Service]; ok {
		t.spans[o.step] = append(t.spans[o.step], e.Time.Sub(o.start))
		delete(t.open, e.Service)
	}
	if e.Kind == bootlevel.KindStep {
		if _, seen := t.spans[e.Step]; !seen {
			t.spans[e.Step] = nil
			t.order = append(t.order, e.Step)
		}
		t.open[e.Service] = openStep{e.Step, e.Time}
	}
}

// stepStat is one step's durations over every service.
type stepStat struct {
	Step            string
	Count           int
	MedianMS, MaxMS float64
}

// Stats summarizes the steps in order of first appearance.
func (t *stepTimer) Stats() []stepStat {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []stepStat
	for _, s := range t.order {
		ds := t.spans[s]
		if len(ds) == 0 {
			continue
		}
		out = append(out, stepStat{Step: s, Count: len(ds), MedianMS: ms(median(ds)), MaxMS: ms(slices.Max(ds))})
	}
	return out
}

// formatSteps renders step stats as "step median/max (count)" items.
func formatSteps(st []stepStat) string {
	parts := make([]string, len(st))
	for i, s := range st {
		parts[i] = fmt.Sprintf("%s %.0f/%.0f ms", s.Step, s.MedianMS, s.MaxMS)
	}
	return strings.Join(parts, ", ")
}

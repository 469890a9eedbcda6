package controller

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudinitd/cloudinitd/epu"
	"github.com/cloudinitd/cloudinitd/epu/engine"
)

// stopLossHarness is a domain of 4 RUNNING workers under npreserving with
// the health monitor on (boot 10 s, missing 5 s), all heard from.
func stopLossHarness(t *testing.T) (*harness, []string) {
	cfg := testConfig(t.TempDir(), "npreserving", engine.Conf{"preserve_n": 4.0})
	cfg.Domains[0].MonitorHealth = true
	cfg.Domains[0].HealthBootTimeout = Duration(10 * time.Second)
	cfg.Domains[0].HealthMissingTimeout = Duration(5 * time.Second)
	h := newHarness(t, cfg, nil)
	h.cycle()
	ids := h.ids(epu.Requesting)
	for _, id := range ids {
		h.push(id, epu.Running)
	}
	h.beat(ids...)
	h.cycle()
	if p, term, _ := h.prov.counts(); p != 4 || term != 0 {
		t.Fatalf("setup: provisions %d terminations %d; want 4 and 0", p, term)
	}
	return h, ids
}

func (h *harness) beat(ids ...string) {
	h.t.Helper()
	for _, id := range ids {
		if known, _, _ := h.domain().heartbeat(context.Background(), epu.Heartbeat{NodeID: id, State: epu.HealthOK}); !known {
			h.t.Fatalf("heartbeat of %s: unknown", id)
		}
	}
}

const engagedAll = "stop-loss engaged: 4 of 4 unhealthy at once"

func TestStopLoss(t *testing.T) {
	t.Run("engages when all go missing at once, resumes when health returns", func(t *testing.T) {
		h, ids := stopLossHarness(t)
		h.clock.Advance(6 * time.Second) // no heartbeat: all MISSING at the next decide
		h.cycle()
		h.cycle()
		if p, term, _ := h.prov.counts(); p != 4 || term != 0 {
			t.Fatalf("under stop-loss: provisions %d terminations %d; want no replacement (4, 0)", p, term)
		}
		ws := h.domain().wholeState()
		if ws.StopLoss == nil || *ws.StopLoss != engagedAll {
			t.Fatalf("whole_state stop_loss %v; want %q", ws.StopLoss, engagedAll)
		}
		for _, id := range ids {
			if got := ws.Instances[id].HeartbeatState; got != epu.HealthMissing {
				t.Errorf("%s health %s; whole_state shows the truth (MISSING)", id, got)
			}
		}
		if got := h.domain().deState(); got.StopLoss != engagedAll || got.DEState == epu.DEStable {
			t.Errorf("de_state %+v; want not stable, saying %q", got, engagedAll)
		}
		if !strings.Contains(h.logs.String(), `"event":"stop_loss_engaged"`) {
			t.Errorf("no stop_loss_engaged event:\n%s", h.logs)
		}
		h.beat(ids...)
		h.cycle()
		if ws := h.domain().wholeState(); ws.StopLoss != nil {
			t.Errorf("stop-loss still engaged after health returned: %s", *ws.StopLoss)
		}
		h.cycle()
		if p, term, _ := h.prov.counts(); p != 4 || term != 0 {
			t.Fatalf("after health returned: provisions %d terminations %d; want 4 and 0", p, term)
		}
		if !strings.Contains(h.logs.String(), `"event":"stop_loss_resumed","reason":"health returned: 0 of 4 unhealthy"`) {
			t.Errorf("no stop_loss_resumed event:\n%s", h.logs)
		}
	})
	t.Run("an operator resumes and the engine replaces them", func(t *testing.T) {
		h, ids := stopLossHarness(t)
		c, _ := h.serve()
		h.clock.Advance(6 * time.Second)
		h.cycle()
		// Destroy of a held instance is refused with the reason.
		d := h.domain()
		d.mu.Lock()
		err := d.control(context.Background()).Destroy(ids[0])
		d.mu.Unlock()
		if err == nil || !strings.Contains(err.Error(), engagedAll) {
			t.Fatalf("destroy under stop-loss: %v; want refused with %q", err, engagedAll)
		}
		if a, err := c.Resume(context.Background(), "d"); err != nil || !a.Resumed {
			t.Fatalf("resume: %+v %v", a, err)
		}
		h.cycle()
		if got := h.prov.terminated(); !cmp.Equal(slices.Sorted(slices.Values(got)), ids) {
			t.Fatalf("terminated after resume %v; want the 4 missing %v", got, ids)
		}
		if p, _, _ := h.prov.counts(); p != 8 {
			t.Fatalf("provisions after resume %d; want 8 (4 replacements)", p)
		}
		if a, err := c.Resume(context.Background(), "d"); err != nil || a.Resumed {
			t.Fatalf("second resume: %+v %v; want resumed false", a, err)
		}
	})
	t.Run("one worker lost is replaced once the window passed", func(t *testing.T) {
		h, ids := stopLossHarness(t)
		h.clock.Advance(5 * time.Second)
		h.beat(ids[1:]...)
		h.clock.Advance(time.Second)
		h.cycle()
		if ws := h.domain().wholeState(); ws.StopLoss != nil {
			t.Fatalf("stop-loss engaged for one of four: %s", *ws.StopLoss)
		}
		if got := h.prov.terminated(); len(got) != 0 {
			t.Fatalf("terminated %v within the window; want none yet", got)
		}
		for range 3 { // 60 s, the others heard every 4 s
			for range 5 {
				h.clock.Advance(4 * time.Second)
				h.beat(ids[1:]...)
			}
			h.cycle()
		}
		if got := h.prov.terminated(); !cmp.Equal(got, ids[:1]) {
			t.Fatalf("terminated %v; want %v", got, ids[:1])
		}
		if p, _, _ := h.prov.counts(); p != 5 {
			t.Fatalf("provisions %d; want 5 (one replacement)", p)
		}
	})
	t.Run("a loss spread over several decides still engages", func(t *testing.T) {
		// The workers' last heartbeats were 2 s apart: they go MISSING
		// one decide after another (missing timeout 5 s).
		h, ids := stopLossHarness(t)
		for i := range ids {
			h.clock.Advance(2 * time.Second)
			h.beat(ids[i+1:]...)
		}
		h.clock.Advance(time.Second) // ids[0] silent 9 s, ids[3] 3 s
		h.cycle()
		for range 3 {
			h.clock.Advance(2 * time.Second)
			h.cycle()
		}
		ws := h.domain().wholeState()
		if ws.StopLoss == nil || *ws.StopLoss != "stop-loss engaged: 3 of 4 unhealthy at once" {
			t.Fatalf("stop_loss %v; want engaged at 3 of 4", ws.StopLoss)
		}
		if p, term, _ := h.prov.counts(); p != 4 || term != 0 {
			t.Fatalf("provisions %d terminations %d; want no replacement (4, 0)", p, term)
		}
	})
}

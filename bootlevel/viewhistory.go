package bootlevel

import (
	"cmp"
	"slices"

	"github.com/cloudinitd/cloudinitd/store"
)

// The image's instance history: each name's rows in its entry, oldest
// first.

// launchHistory returns what needsLaunch reads of svc's history: a copy
// of its newest row (ok false: none) and the highest attempt of its rows
// (0: none). It copies no slice: every service of a boot asks once per
// command, and a copy of its rows (as needsLaunch read them before) made
// for the garbage collector to take back was 10,000 allocations of 200-400 bytes a boot of
// 10,000 services (docs/performance.md, scale6).
func (v *view) launchHistory(svc string) (last store.HistoryRow, ok bool, maxAttempt int) {
	en := v.find(svc)
	if en == nil {
		return store.HistoryRow{}, false, 0
	}
	en.mu.Lock()
	defer en.mu.Unlock()
	hs := en.history
	for _, h := range hs {
		maxAttempt = max(maxAttempt, h.Attempt)
	}
	if n := len(hs); n > 0 {
		return hs[n-1], true, maxAttempt
	}
	return store.HistoryRow{}, false, maxAttempt
}

// addHistory appends a history row of h.Service.
func (v *view) addHistory(h store.HistoryRow) {
	en := v.entry(h.Service)
	en.mu.Lock()
	defer en.mu.Unlock()
	en.history = append(en.history, h)
}

// putHistory replaces the history row with h's id by h, as the store
// wrote it.
func (v *view) putHistory(h store.HistoryRow) {
	en := v.find(h.Service)
	if en == nil {
		return
	}
	en.mu.Lock()
	defer en.mu.Unlock()
	for i := range en.history {
		if en.history[i].ID == h.ID {
			en.history[i] = h
			return
		}
	}
}

// allHistory returns a copy of every history row, oldest first.
func (v *view) allHistory() []store.HistoryRow {
	var out []store.HistoryRow
	add := func(en *entry) {
		en.mu.Lock()
		out = append(out, en.history...)
		en.mu.Unlock()
	}
	for _, en := range v.services {
		add(en)
	}
	v.mu.Lock()
	for _, en := range v.extra {
		add(en)
	}
	v.mu.Unlock()
	slices.SortFunc(out, func(a, b store.HistoryRow) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

package store

import "sync"

// intentRows are the launch intents this DB recorded (LaunchIntent) and
// has not completed yet, as they were written: LaunchDone completes one
// without reading its row back, which cost the single writer a query
// (with a join) per launch. Rows of instance_history are never deleted,
// and an intent's row changes only through LaunchDone and LaunchFailed,
// which drop it from here, so a kept row is the record's. An intent
// recorded by another process (a boot resumed after a crash) is read from
// the record.
type intentRows struct {
	mu sync.Mutex
	m  map[int64]HistoryRow
}

func (c *intentRows) get(id int64) (HistoryRow, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.m[id]
	return h, ok
}

// apply keeps the intents a committed transaction recorded and drops
// those it completed.
func (c *intentRows) apply(added []HistoryRow, done []int64) {
	if len(added) == 0 && len(done) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[int64]HistoryRow{}
	}
	for _, h := range added {
		c.m[h.ID] = h
	}
	for _, id := range done {
		delete(c.m, id)
	}
}

// intentMark is how many journal rows, recorded intents, completed
// intents and queued history rows a transaction had, and the service ids
// a putServices had left: what a write that fails (with savepoints) must
// take back (txn.drop).
type intentMark struct {
	events, added, done, histAdds, histDone int
	planIDs                                 map[string]int64
}

package store

import (
	"context"
	"database/sql"
	"sync"
)

// maxStmts bounds each of the statement caches (stmtCache, writerConn);
// every query is a constant of this package or made from a few (eight
// sizes of the journal's INSERT, of the history's, and of the service
// rows' UPDATE for each set of columns a write changes: a 10,000-service
// boot prepares about 70 of them, at the driver level), so it is not
// reached in practice; a query past it runs unprepared (prepared for that
// run alone at the driver level).
const maxStmts = 192

// stmtCache keeps the other statements of the writes (their reads, the
// single-row writes) prepared once per DB: parsing SQL costs more than
// running these small statements. A query is prepared after the
// transaction that first ran it has committed, since a writing DB has a
// single connection, which that transaction holds.
type stmtCache struct {
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

func (c *stmtCache) get(q string) *sql.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.stmts[q]
}

// prepare prepares the queries missed by a transaction (errors leave them
// unprepared: they run as plain queries).
func (c *stmtCache) prepare(ctx context.Context, sdb *sql.DB, missed map[string]bool) {
	for q := range missed {
		c.mu.RLock()
		_, ok := c.stmts[q]
		n := len(c.stmts)
		c.mu.RUnlock()
		if ok || n >= maxStmts {
			continue
		}
		s, err := sdb.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if c.stmts == nil {
			c.stmts = map[string]*sql.Stmt{}
		}
		if _, ok := c.stmts[q]; ok {
			s.Close()
		} else {
			c.stmts[q] = s
		}
		c.mu.Unlock()
	}
}

// txn is the transaction a write runs in: *sql.Tx, with the statements of
// the cache bound to it, on the writer's connection conn (where execArgs
// runs the statements it keeps, writerConn, with the arguments of drv).
type txn struct {
	tx     *sql.Tx
	conn   *sql.Conn
	drv    *drvStmts
	cache  *stmtCache
	bound  map[string]*sql.Stmt
	missed map[string]bool
	ids    *serviceIDs      // service ids of committed transactions
	seen   map[string]int64 // service ids read in this one (kept once it commits)
	// seenAll: seen holds every service's id (allServiceIDs)
	seenAll bool
	// planIDs: every service's id, as the last putServices of the
	// transaction left them (kept, as seen, once it commits)
	planIDs map[string]int64

	journalQ *journalQueue // numbers the journal's rows (flushEvents)
	// pull: the next flush of journal rows is the transaction's last and
	// takes QueueEvent's rows (flushEvents)
	pull              bool
	seqFirst, seqLast int64          // the numbers its own rows took (0: none)
	pulled            []pendingEvent // QueueEvent's rows it took
	scratch

	intents *intentRows // intents of committed transactions
}

// scratch holds the buffers of a transaction, handed from one to the next
// by the DB (only one leader commits at a time): a batch of thousands of
// writes would otherwise grow them anew each time.
type scratch struct {
	events   []pendingEvent  // journal rows queued, not yet inserted (journal)
	histAdds []pendingIntent // intent rows queued (queueIntent)
	histDone []pendingDone   // their completions queued (queueDone)
	patches  []servicePatch  // service rows changed, not yet written (patch)
	patchIdx map[int64]int   // index in patches by service id
	// patchSame: the patches of one set of columns (flushPatches);
	// patchSQL: their statements by set of columns and size (patchUpdate)
	patchSame []servicePatch
	patchSQL  map[int]string

	intentsAdded []HistoryRow // intents recorded by the transaction
	intentsDone  []int64      // intents it completed
}

// flush writes what the transaction's writes queued: the service rows
// they changed, their instance history rows, then their journal rows.
func (t *txn) flush(ctx context.Context, now string) error {
	if err := t.flushPatches(ctx, now); err != nil {
		return err
	}
	if err := t.flushHistory(ctx); err != nil {
		return err
	}
	return t.flushEvents(ctx)
}

// mark returns what the transaction holds queued now.
func (t *txn) mark() intentMark {
	return intentMark{events: len(t.events), added: len(t.intentsAdded), done: len(t.intentsDone),
		histAdds: len(t.histAdds), histDone: len(t.histDone), planIDs: t.planIDs}
}

// drop forgets what the transaction's writes queued since mark m, when
// no service change was pending (a write that failed, with savepoints;
// or, with the zero mark, a transaction that failed).
func (t *txn) drop(m intentMark) {
	t.dropPatches()
	t.dropEvents(m.events)
	t.dropHistory(m.histAdds, m.histDone)
	clear(t.intentsAdded[m.added:])
	t.intentsAdded = t.intentsAdded[:m.added]
	t.intentsDone = t.intentsDone[:m.done]
	t.planIDs = m.planIDs
}

func (t *txn) stmt(ctx context.Context, q string) *sql.Stmt {
	if s, ok := t.bound[q]; ok {
		return s
	}
	ps := t.cache.get(q)
	if ps == nil {
		t.missed[q] = true
		return nil
	}
	s := t.tx.StmtContext(ctx, ps)
	t.bound[q] = s
	return s
}

// ExecContext is sql.Tx.ExecContext through the cache.
func (t *txn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if s := t.stmt(ctx, q); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, q, args...)
}

// QueryRowContext is sql.Tx.QueryRowContext through the cache.
func (t *txn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if s := t.stmt(ctx, q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, q, args...)
}

// QueryContext is sql.Tx.QueryContext through the cache: terminate reads
// back the history rows of every instance it marks.
func (t *txn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s := t.stmt(ctx, q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, q, args...)
}

// PrepareContext is sql.Tx.PrepareContext through the cache: a statement
// of its own for the loops of one write, which the caller may close.
func (t *txn) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	if ps := t.cache.get(q); ps != nil {
		return t.tx.StmtContext(ctx, ps), nil
	}
	t.missed[q] = true
	return t.tx.PrepareContext(ctx, q)
}

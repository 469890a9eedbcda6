package provisioner

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps the store's statements prepared: SQLite parses and
// compiles a statement (with the triggers it fires) on every prepare,
// and the provisioner runs the same few statements tens of thousands of
// times at 10,000 workers (a fifth of its CPU went to the parser).
type stmtCache struct {
	db   *sql.DB
	mu   sync.Mutex
	m    map[string]*sql.Stmt
	want map[string]bool // met within a transaction, to prepare after it
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: make(map[string]*sql.Stmt), want: make(map[string]bool)}
}

// lookup returns query's prepared statement, if any. A miss is noted:
// prepareWanted prepares it once no transaction holds the connection
// (preparing on the database within a transaction would wait for the
// connection the transaction holds).
func (c *stmtCache) lookup(query string) (*sql.Stmt, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.m[query]
	if !ok {
		c.want[query] = true
	}
	return st, ok
}

// prepareWanted prepares the statements lookup missed. Outside any
// transaction only.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	c.mu.Lock()
	var qs []string
	for q := range c.want {
		qs = append(qs, q)
		delete(c.want, q)
	}
	c.mu.Unlock()
	for _, q := range qs {
		c.get(ctx, q) // an error leaves it unprepared: the next use reports it
	}
}

// get returns query's prepared statement, preparing it on the database
// (which waits for the connection: never within a transaction). The
// lock is not held meanwhile: a transaction's lookup must not wait for
// a prepare that waits for the transaction's connection.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	st, ok := c.m[query]
	c.mu.Unlock()
	if ok {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.m[query]; ok { // prepared meanwhile by another caller
		st.Close()
		return prev, nil
	}
	c.m[query] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}

// sqlTx is a transaction whose statements are kept prepared (the same
// prepared statement serves every transaction on the one connection).
// A statement's result must be consumed before the next one runs, as
// the store's writes do. It reads records through its own writes, then
// the image (node, launch), and keeps what it writes for the image: op
// the current write's (a savepoint's), done those of the writes before
// it that were kept.
type sqlTx struct {
	tx  *sql.Tx
	c   *stmtCache
	img *image
	op  txChanges
	// done are the writes kept so far, applied to the image on commit.
	done txChanges
}

// endOp ends the current write: its records join the transaction's when
// keep is true, and are dropped otherwise (its savepoint undone).
func (t *sqlTx) endOp(keep bool) {
	if keep {
		t.done.merge(&t.op)
	}
	t.op = txChanges{}
}

func (t *sqlTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, ok := t.c.lookup(query)
	if !ok {
		return t.tx.ExecContext(ctx, query, args...)
	}
	return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

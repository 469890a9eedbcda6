package provisioner

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
)

// maxBatch bounds the writes one transaction of the committer carries.
const maxBatch = 512

// maxYields is how many times the committer yields the processor to let
// more writes arrive before it runs a batch: a commit (its WAL frames)
// costs about as much as the writes of a small batch, so fewer, larger
// commits are most of the store's saving when many callers write.
const maxYields = 2

// errStoreClosed answers a write asked of a closed store.
var errStoreClosed = errors.New("store closed")

// committer groups the writes of concurrent callers into one SQLite
// transaction (group commit). A caller hands its write to the committer
// and waits until the transaction that carries it has committed (or
// failed), so a write still precedes whatever the caller does next (the
// intent before a cloud call). Each write runs within a savepoint: one
// that fails is undone alone and its caller gets the error, the others
// commit. At 10,000 workers the provisioner makes tens of thousands of
// small writes, and a commit each was most of its store's cost.
type committer struct {
	db    *sql.DB
	stmts *stmtCache
	img   *image     // given each committed transaction's writes
	ops   chan *txOp // unbuffered: an op sent is an op the loop answers
	quit  chan struct{}
	done  chan struct{}
}

// txOp is one caller's write and where its outcome goes.
type txOp struct {
	ctx context.Context
	f   func(*sqlTx) error
	res chan error // buffered, one value
	err error
}

func newCommitter(db *sql.DB, stmts *stmtCache, img *image) *committer {
	c := &committer{db: db, stmts: stmts, img: img, ops: make(chan *txOp), quit: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c
}

// close stops the loop after the batch it is running; writes asked later
// fail with errStoreClosed.
func (c *committer) close() {
	close(c.quit)
	<-c.done
}

// do runs f in a transaction shared with concurrent writes and returns
// once that transaction ended: nil means f's writes are committed.
func (c *committer) do(ctx context.Context, f func(*sqlTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	op := &txOp{ctx: ctx, f: f, res: make(chan error, 1)}
	select {
	case c.ops <- op:
	case <-c.quit:
		return errStoreClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-op.res
}

func (c *committer) loop() {
	defer close(c.done)
	batch := make([]*txOp, 0, maxBatch)
	for {
		select {
		case <-c.quit:
			return
		case op := <-c.ops:
			batch = append(batch[:0], op)
		}
		for yields := 0; len(batch) < maxBatch; {
			select {
			case op := <-c.ops:
				batch = append(batch, op)
				continue
			default:
			}
			if yields == maxYields {
				break
			}
			// The callers the last batch answered are about to send
			// their next writes: let them, so one commit carries more.
			yields++
			runtime.Gosched()
		}
		c.run(batch)
		for i, op := range batch {
			op.res <- op.err
			batch[i] = nil
		}
		c.stmts.prepareWanted(context.Background())
	}
}

// run executes batch in one transaction and sets each op's err. The
// writes run one after the other; only when one fails is the transaction
// undone and the batch run again with each write in a savepoint of its
// own, so that the failed one is undone alone (two statements more per
// write, paid only then).
func (c *committer) run(batch []*txOp) {
	live := batch[:0:0]
	for _, op := range batch {
		if op.err = op.ctx.Err(); op.err == nil {
			live = append(live, op)
		}
	}
	if len(live) == 0 {
		return
	}
	fail := func(err error) {
		for _, op := range live {
			op.err = err
		}
	}
	tx, err := c.begin()
	if err != nil {
		fail(err)
		return
	}
	failed := false
	for _, op := range live {
		if op.err = op.f(tx); op.err != nil {
			failed = true
			break
		}
		tx.endOp(true)
	}
	if !failed {
		fail(c.commit(tx))
		return
	}
	tx.tx.Rollback()
	if len(live) == 1 { // its error is set: nothing else to keep
		return
	}
	if tx, err = c.begin(); err != nil {
		fail(err)
		return
	}
	for _, op := range live {
		if err := c.runOne(tx, op); err != nil {
			tx.tx.Rollback()
			fail(fmt.Errorf("grouped write: %w", err))
			return
		}
	}
	if err := c.commit(tx); err != nil {
		fail(err)
	}
}

// begin starts a transaction.
func (c *committer) begin() (*sqlTx, error) {
	sqltx, err := c.db.BeginTx(context.Background(), nil)
	if err != nil {
		return nil, err
	}
	return &sqlTx{tx: sqltx, c: c.stmts, img: c.img}, nil
}

// commit commits tx and gives its writes to the image. When the commit
// fails, the image is read again from the database, which is the
// authority: whatever SQLite kept, the image then agrees.
func (c *committer) commit(tx *sqlTx) error {
	err := tx.tx.Commit()
	if err == nil {
		c.img.apply(&tx.done)
		return nil
	}
	if lerr := c.img.reload(context.Background(), c.db); lerr != nil {
		return errors.Join(err, fmt.Errorf("reload the records: %w", lerr))
	}
	return err
}

// runOne runs op within a savepoint of tx, undoing it alone when it
// fails (op.err). An error returned means the transaction itself is
// broken (SQLite may roll a whole transaction back on some errors, and
// then the savepoint is gone): the batch fails.
func (c *committer) runOne(tx *sqlTx, op *txOp) error {
	ctx := context.Background()
	if _, err := tx.ExecContext(ctx, `SAVEPOINT op`); err != nil {
		return err
	}
	op.err = op.f(tx)
	tx.endOp(op.err == nil)
	if op.err != nil {
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO op`); err != nil {
			return errors.Join(op.err, err)
		}
	}
	_, err := tx.ExecContext(ctx, `RELEASE op`)
	return err
}

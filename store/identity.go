package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// secretBytes is the size of a run's secret (64 hex digits).
const secretBytes = 32

// giveSecret gives a record made before run secrets existed its own,
// once, when it is first opened for writing, without a word: from then on
// it is like any record's.
func (db *DB) giveSecret(ctx context.Context) error {
	if _, err := db.sql.ExecContext(ctx, `UPDATE run SET secret = ? WHERE id = 1 AND secret = ''`, randomHex(secretBytes)); err != nil {
		return fmt.Errorf("open run %s: give the record a secret: %w", db.run, err)
	}
	err := db.sql.QueryRowContext(ctx, `SELECT secret FROM run WHERE id = 1`).Scan(&db.secret)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // a Create that died before the run row: nothing to give it to
	}
	return err
}

// giveIncarnation gives a record made before incarnations existed its
// own, once, when it is first opened for writing: from then on its
// launches are tagged and its sweeps are scoped like any other record's.
// Its earlier instances are still its own: their client tokens (the bare
// name's) are in its instance history.
func (db *DB) giveIncarnation(ctx context.Context) error {
	inc := randomHex(4)
	if _, err := db.sql.ExecContext(ctx, `UPDATE run SET incarnation = ? WHERE id = 1 AND incarnation = ''`, inc); err != nil {
		return fmt.Errorf("open run %s: give the record an incarnation: %w", db.run, err)
	}
	err := db.sql.QueryRowContext(ctx, `SELECT incarnation FROM run WHERE id = 1`).Scan(&db.incarn)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // a Create that died before the run row: nothing to give it to
	}
	return err
}

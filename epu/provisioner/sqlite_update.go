package provisioner

import (
	"context"
	"errors"
)

// updateOne applies f to record id in a transaction of its own (through
// up, updateLaunchTx or updateNodeTx).
func updateOne[T any](ctx context.Context, s *sqliteStore, id string, f func(*T) bool,
	up func(context.Context, *sqlTx, string, func(*T) bool) (T, bool, error)) (T, bool, error) {
	var cur T
	var changed bool
	err := s.tx(ctx, func(tx *sqlTx) error {
		var err error
		cur, changed, err = up(ctx, tx, id, f)
		return err
	})
	return cur, changed, err
}

// updateEach applies f to every record of ids in one transaction, skips
// the ids not found, and returns the records that changed.
func updateEach[T any](ctx context.Context, s *sqliteStore, ids []string, f func(*T) bool,
	up func(context.Context, *sqlTx, string, func(*T) bool) (T, bool, error)) ([]T, error) {
	if len(ids) == 0 {
		return nil, ctx.Err() // no transaction for nothing (terminate_all polled again)
	}
	var out []T
	err := s.tx(ctx, func(tx *sqlTx) error {
		out = out[:0]
		for _, id := range ids {
			rec, changed, err := up(ctx, tx, id, f)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if changed {
				out = append(out, rec)
			}
		}
		return nil
	})
	return out, err
}

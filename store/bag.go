package store

import (
	"context"
	"database/sql"
	"fmt"
)

// bagWriter writes the deps rows of services' attribute bags, several to
// a statement (flush writes the last ones).
type bagWriter struct {
	bootout, clear *sql.Stmt
	rows           *rowWriter
}

func newBagWriter(ctx context.Context, tx *txn) (*bagWriter, error) {
	w := &bagWriter{rows: newRowWriter(tx, "deps", "attrbag", "service_id", "seq", "key", "value", "origin")}
	var err error
	if w.bootout, err = tx.PrepareContext(ctx, `SELECT key, value FROM attrbag WHERE service_id = ? AND origin = 'bootout' ORDER BY seq`); err != nil {
		return nil, err
	}
	if w.clear, err = tx.PrepareContext(ctx, `DELETE FROM attrbag WHERE service_id = ?`); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

// put makes deps the deps rows of the bag of service svc, row id. For an
// existing service the bootout rows are kept, renumbered after the deps
// rows.
func (w *bagWriter) put(ctx context.Context, svc string, id int64, existing bool, deps []Attr) error {
	var kept []Attr
	if existing {
		var err error
		if kept, err = w.bootoutRows(ctx, id); err != nil {
			return fmt.Errorf("service %q: deps: %w", svc, err)
		}
		if _, err := w.clear.ExecContext(ctx, id); err != nil {
			return fmt.Errorf("service %q: deps: %w", svc, err)
		}
	}
	seq := int64(0)
	for _, rows := range []struct {
		as     []Attr
		origin Origin
	}{{deps, OriginDeps}, {kept, OriginBootout}} {
		for _, a := range rows.as {
			seq++
			if err := w.rows.add(ctx, svc, id, seq, a.Key, a.Value, string(rows.origin)); err != nil {
				return err // it names the services of the rows
			}
		}
	}
	return nil
}

func (w *bagWriter) bootoutRows(ctx context.Context, id int64) ([]Attr, error) {
	rs, err := w.bootout.QueryContext(ctx, id)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []Attr
	for rs.Next() {
		var a Attr
		if err := rs.Scan(&a.Key, &a.Value); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rs.Err()
}

// flush writes the pending rows.
func (w *bagWriter) flush(ctx context.Context) error { return w.rows.flush(ctx) }

func (w *bagWriter) close() {
	for _, st := range []*sql.Stmt{w.bootout, w.clear} {
		if st != nil {
			st.Close()
		}
	}
}

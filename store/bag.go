package store

import (
	"context"
	"database/sql"
	"fmt"
)

// bagWriter writes the deps rows of services' attribute bags.
type bagWriter struct {
	bootout, clear, insert *sql.Stmt
}

func newBagWriter(ctx context.Context, tx *txn) (*bagWriter, error) {
	w := &bagWriter{}
	var err error
	if w.bootout, err = tx.PrepareContext(ctx, `SELECT key, value FROM attrbag WHERE service_id = ? AND origin = 'bootout' ORDER BY seq`); err != nil {
		return nil, err
	}
	if w.clear, err = tx.PrepareContext(ctx, `DELETE FROM attrbag WHERE service_id = ?`); err != nil {
		w.close()
		return nil, err
	}
	if w.insert, err = tx.PrepareContext(ctx, `INSERT INTO attrbag (service_id, seq, key, value, origin) VALUES (?, ?, ?, ?, ?)`); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

// put makes deps the deps rows of service id's bag. For an existing
// service the bootout rows are kept, renumbered after the deps rows.
func (w *bagWriter) put(ctx context.Context, id int64, existing bool, deps []Attr) error {
	var kept []Attr
	if existing {
		var err error
		if kept, err = w.bootoutRows(ctx, id); err != nil {
			return err
		}
		if _, err := w.clear.ExecContext(ctx, id); err != nil {
			return err
		}
	}
	seq := int64(0)
	for _, rows := range []struct {
		as     []Attr
		origin Origin
	}{{deps, OriginDeps}, {kept, OriginBootout}} {
		for _, a := range rows.as {
			seq++
			if _, err := w.insert.ExecContext(ctx, id, seq, a.Key, a.Value, string(rows.origin)); err != nil {
				return fmt.Errorf("attr %q: %w", a.Key, err)
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

func (w *bagWriter) close() {
	for _, st := range []*sql.Stmt{w.bootout, w.clear, w.insert} {
		if st != nil {
			st.Close()
		}
	}
}

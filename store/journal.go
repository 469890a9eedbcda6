package store

import (
	"context"
	"database/sql"
	"fmt"
)

// AppendEvent appends e to the journal and returns its sequence number,
// which is larger than that of every earlier event of the run. A zero Time
// means now; an empty Level means INFO.
func (db *DB) AppendEvent(ctx context.Context, e Event) (int64, error) {
	var seq int64
	err := db.write(ctx, "", "append event", func(ctx context.Context, tx *txn, now string) error {
		tx.journal(e, now, &seq)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return seq, nil
}

// Events returns the events with a sequence number above afterSeq, in
// order. Events(ctx, 0) returns the whole journal.
func (db *DB) Events(ctx context.Context, afterSeq int64) ([]Event, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT seq, time, level, service, event, state, detail
		FROM event WHERE seq > ? ORDER BY seq`, afterSeq)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	defer rows.Close()
	var es []Event
	for rows.Next() {
		var e Event
		var t, svc, state, detail sql.NullString
		if err := rows.Scan(&e.Seq, &t, &e.Level, &svc, &e.Event, &state, &detail); err != nil {
			return nil, fmt.Errorf("events: %w", err)
		}
		e.Time, e.Service, e.State, e.Detail = parseStamp(t), svc.String, State(state.String), detail.String
		es = append(es, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	return es, nil
}

// AppendAttrs appends attrs to the attribute bag of svc with the given
// origin, in one transaction, after the entries already there. A later entry
// with the same key wins when the bag is rebuilt. It returns the rows as
// written (Seq and Origin set).
func (db *DB) AppendAttrs(ctx context.Context, svc string, origin Origin, attrs []Attr) ([]Attr, error) {
	if origin != OriginDeps && origin != OriginBootout {
		return nil, fmt.Errorf("service %q: append attrs: invalid origin %q", svc, origin)
	}
	var out []Attr
	err := db.write(ctx, svc, "append attrs", func(ctx context.Context, tx *txn, _ string) error {
		sid, err := serviceID(ctx, tx, svc)
		if err != nil {
			return err
		}
		var last int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM attrbag WHERE service_id = ?`, sid).Scan(&last); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO attrbag (service_id, seq, key, value, origin) VALUES (?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		out = make([]Attr, 0, len(attrs))
		for i, a := range attrs {
			seq := last + int64(i) + 1
			if _, err := stmt.ExecContext(ctx, sid, seq, a.Key, a.Value, string(origin)); err != nil {
				return fmt.Errorf("attr %q: %w", a.Key, err)
			}
			out = append(out, Attr{Seq: seq, Key: a.Key, Value: a.Value, Origin: origin})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Attrs returns the attribute bag of svc in the order it was appended.
func (db *DB) Attrs(ctx context.Context, svc string) ([]Attr, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT a.seq, a.key, a.value, a.origin
		FROM attrbag a JOIN service s ON s.id = a.service_id WHERE s.name = ? ORDER BY a.seq`, svc)
	if err != nil {
		return nil, fmt.Errorf("service %q: attrs: %w", svc, err)
	}
	defer rows.Close()
	var as []Attr
	for rows.Next() {
		var a Attr
		var origin string
		if err := rows.Scan(&a.Seq, &a.Key, &a.Value, &origin); err != nil {
			return nil, fmt.Errorf("service %q: attrs: %w", svc, err)
		}
		a.Origin = Origin(origin)
		as = append(as, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("service %q: attrs: %w", svc, err)
	}
	return as, nil
}

// Bags returns the attribute bag of every service that has one, by service
// name, each in the order it was appended: one query for a whole run.
func (db *DB) Bags(ctx context.Context) (map[string][]Attr, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT s.name, a.seq, a.key, a.value, a.origin
		FROM attrbag a JOIN service s ON s.id = a.service_id ORDER BY a.service_id, a.seq`)
	if err != nil {
		return nil, fmt.Errorf("attrs: %w", err)
	}
	defer rows.Close()
	out := map[string][]Attr{}
	for rows.Next() {
		var a Attr
		var svc, origin string
		if err := rows.Scan(&svc, &a.Seq, &a.Key, &a.Value, &origin); err != nil {
			return nil, fmt.Errorf("attrs: %w", err)
		}
		a.Origin = Origin(origin)
		out[svc] = append(out[svc], a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("attrs: %w", err)
	}
	return out, nil
}

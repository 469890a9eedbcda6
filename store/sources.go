package store

import (
	"context"
	"fmt"
)

// sourceSchema is the first schema version with setting_source
// (migrations/0006_setting_source.sql): a source text that several
// settings share is stored there once, and a settings row names it by id.
const sourceSchema = 6

// shareSources returns the ids of the source texts of setting_source,
// after adding those texts of ss's settings that two settings or more
// give and the table does not hold yet (a text given once stays in its
// settings row). In a plan most settings come from a few lines
// ([defaults], a cloud section, the built-ins): their texts, absolute
// paths repeated in every service, were most of the bytes a plan's
// record wrote (docs/performance.md).
func shareSources(ctx context.Context, tx *txn, ss []Service) (map[string]int64, error) {
	ids, next, err := readSourceIDs(ctx, tx)
	if err != nil {
		return nil, err
	}
	rows := newRowWriter(tx, "setting sources", "setting_source", "id", "text")
	once := map[string]bool{} // texts given once so far
	for _, s := range ss {
		for _, st := range s.Settings {
			if _, ok := ids[st.Source]; ok {
				continue
			}
			if !once[st.Source] {
				once[st.Source] = true
				continue
			}
			ids[st.Source] = next
			if err := rows.add(ctx, s.Name, next, st.Source); err != nil {
				return nil, err
			}
			next++
		}
	}
	return ids, rows.flush(ctx)
}

// readSourceIDs reads setting_source: the id of each text, and the id the
// next text gets.
func readSourceIDs(ctx context.Context, tx *txn) (map[string]int64, int64, error) {
	rs, err := tx.QueryContext(ctx, `SELECT id, text FROM setting_source`)
	if err != nil {
		return nil, 0, fmt.Errorf("setting sources: %w", err)
	}
	defer rs.Close()
	ids := map[string]int64{}
	next := int64(1)
	for rs.Next() {
		var id int64
		var text string
		if err := rs.Scan(&id, &text); err != nil {
			return nil, 0, fmt.Errorf("setting sources: %w", err)
		}
		ids[text] = id
		next = max(next, id+1)
	}
	if err := rs.Err(); err != nil {
		return nil, 0, fmt.Errorf("setting sources: %w", err)
	}
	return ids, next, nil
}

// readSources reads the texts of setting_source by id, interned; a record
// older than sourceSchema has none.
func (db *DB) readSources(ctx context.Context, intern func(string) string) (map[int64]string, error) {
	if db.schema < sourceSchema {
		return nil, nil
	}
	rs, err := db.sql.QueryContext(ctx, `SELECT id, text FROM setting_source`)
	if err != nil {
		return nil, fmt.Errorf("setting sources: %w", err)
	}
	defer rs.Close()
	texts := map[int64]string{}
	for rs.Next() {
		var id int64
		var text string
		if err := rs.Scan(&id, &text); err != nil {
			return nil, fmt.Errorf("setting sources: %w", err)
		}
		texts[id] = intern(text)
	}
	return texts, rs.Err()
}

package store

import (
	"context"
	"strings"
	"testing"
)

// TestHistoryInstanceIndex: the index of instance_history by instance id
// holds only the rows that have one (schema version 7), and the look-ups
// by instance id (MarkInstance's) still search it rather than scan the
// table.
func TestHistoryInstanceIndex(t *testing.T) {
	ctx := context.Background()
	db, _ := newRun(t)
	twoLevels(t, db)
	in, err := db.LaunchIntent(ctx, "web", 1, "tok-web", "fake")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.LaunchIntent(ctx, "db", 1, "tok-db", "fake"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.LaunchDone(ctx, in.ID, "i-web", nil); err != nil {
		t.Fatal(err)
	}
	var def string
	if err := db.sql.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE name = 'instance_history_instance'`).Scan(&def); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(def, "WHERE instance_id IS NOT NULL") {
		t.Errorf("index: %s, want one of the rows with an instance id", def)
	}
	var n int
	err = db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM instance_history INDEXED BY instance_history_instance WHERE instance_id IS NOT NULL`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("rows found by the index: %d, want 1 (the launched row; the intent has no instance id)", n)
	}
	for _, q := range []string{
		`UPDATE instance_history SET state = ?, terminated_at = COALESCE(?, terminated_at) WHERE instance_id = ?`,
		`SELECT h.id FROM instance_history h WHERE h.instance_id = ?`,
	} {
		rows, err := db.sql.QueryContext(ctx, `EXPLAIN QUERY PLAN `+q, "x", nil, "i-web")
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if got := strings.Join(plan, "; "); !strings.Contains(got, "USING") || !strings.Contains(got, "instance_history_instance") {
			t.Errorf("%s: query plan %q, want a search of instance_history_instance", q, got)
		}
	}
}

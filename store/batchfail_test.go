package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// The batch tests (TestJournalBatch, TestHistoryBatch) commit batches of
// writes named by strings, some of which fail: the write itself after it
// queued its row (a name in the table's fail set), or the insert of its
// row (the name "boom", refused by a trigger).

// errWrite is what a failing write of a batch test returns.
var errWrite = errors.New("write failed")

// failWith is the error the write named name returns: errWrite when name
// is in fail.
func failWith(fail map[string]bool, name string) error {
	if fail[name] {
		return errWrite
	}
	return nil
}

// refuseBoom makes every insert into table of a row for which the SQL
// condition when holds fail with "boom refused". The writing DB has one
// connection: the temporary trigger is on it.
func refuseBoom(t *testing.T, db *DB, table, when string) {
	t.Helper()
	if _, err := db.sql.ExecContext(context.Background(), `CREATE TEMP TRIGGER boom BEFORE INSERT ON `+table+`
		WHEN `+when+` BEGIN SELECT RAISE(ABORT, 'boom refused'); END`); err != nil {
		t.Fatal(err)
	}
}

// batchSucceeded checks the errors of the committed writes of names
// (batch[i] is the write of names[i]): a name in fail failed with
// errWrite, "boom" with the trigger's error when boom is set, any other
// not at all. It returns whether each write succeeded.
func batchSucceeded(t *testing.T, names []string, batch []*pendingWrite, fail map[string]bool, boom bool) []bool {
	t.Helper()
	ok := make([]bool, len(names))
	for i, name := range names {
		w := batch[i]
		switch {
		case fail[name]:
			if !errors.Is(w.err, errWrite) {
				t.Errorf("write %s: err = %v, want %v", name, w.err, errWrite)
			}
		case boom && name == "boom":
			if w.err == nil || !strings.Contains(w.err.Error(), "boom refused") {
				t.Errorf("write %s: err = %v, want the trigger's", name, w.err)
			}
		case w.err != nil:
			t.Errorf("write %s: %v", name, w.err)
		default:
			ok[i] = true
		}
	}
	return ok
}

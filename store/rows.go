package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// batchRows is how many rows one INSERT of a rowWriter writes (at most 7
// parameters each, far below SQLite's limit of 32766).
const batchRows = 128

// rowWriter inserts rows of one table batchRows at a time: one statement
// per row costs more than the row. The rows of a plan are many (a
// service row, its settings, its deps rows).
type rowWriter struct {
	tx     *txn
	insert string    // INSERT INTO table (columns) VALUES
	row    string    // (?, ?, ...)
	full   *sql.Stmt // batchRows rows, prepared at the first full batch
	args   []any
	labels []string // of the pending rows, for errors
	what   string   // what the rows are, for errors: "settings"
}

func newRowWriter(tx *txn, what, table string, columns ...string) *rowWriter {
	return &rowWriter{tx: tx, what: what,
		insert: `INSERT INTO ` + table + ` (` + strings.Join(columns, ", ") + `) VALUES `,
		row:    "(?" + strings.Repeat(", ?", len(columns)-1) + ")"}
}

// add queues a row of the service named label (for errors).
func (w *rowWriter) add(ctx context.Context, label string, args ...any) error {
	w.args = append(w.args, args...)
	w.labels = append(w.labels, label)
	if len(w.labels) < batchRows {
		return nil
	}
	if w.full == nil {
		var err error
		if w.full, err = w.tx.PrepareContext(ctx, w.query(batchRows)); err != nil {
			return err
		}
	}
	return w.exec(ctx, w.full)
}

// flush writes the pending rows.
func (w *rowWriter) flush(ctx context.Context) error {
	if len(w.labels) == 0 {
		return nil
	}
	return w.exec(ctx, nil)
}

func (w *rowWriter) exec(ctx context.Context, stmt *sql.Stmt) error {
	var err error
	if stmt != nil {
		_, err = stmt.ExecContext(ctx, w.args...)
	} else {
		_, err = w.tx.tx.ExecContext(ctx, w.query(len(w.labels)), w.args...) // not cached: its length varies
	}
	if err != nil {
		first, last := w.labels[0], w.labels[len(w.labels)-1]
		if first == last {
			return fmt.Errorf("service %q: %s: %w", first, w.what, err)
		}
		return fmt.Errorf("services %q to %q: %s: %w", first, last, w.what, err)
	}
	clear(w.args)
	w.args, w.labels = w.args[:0], w.labels[:0]
	return nil
}

func (w *rowWriter) close() {
	if w.full != nil {
		w.full.Close()
	}
}

// query is the INSERT of n rows.
func (w *rowWriter) query(n int) string {
	var b strings.Builder
	b.WriteString(w.insert)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(w.row)
	}
	return b.String()
}

package store

import (
	"context"
	"fmt"
	"strings"
)

// batchRows is how many rows one INSERT of a rowWriter writes (at most 7
// parameters each, far below SQLite's limit of 32766).
const batchRows = 128

// rowWriter inserts rows of one table batchRows at a time: one statement
// per row costs more than the row. The rows of a plan are many (a
// service row, its settings, its deps rows). The statements run at the
// driver level (txn.execArgs), the full batch's kept prepared.
type rowWriter struct {
	tx     *txn
	insert string // INSERT INTO table (columns) VALUES
	row    string // (?, ?, ...)
	full   string // the INSERT of batchRows rows, made at the first full batch
	args   namedArgs
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
	for _, v := range args {
		w.args.add(v)
	}
	w.labels = append(w.labels, label)
	if len(w.labels) < batchRows {
		return nil
	}
	if w.full == "" {
		w.full = w.query(batchRows)
	}
	return w.exec(ctx, w.full, true)
}

// flush writes the pending rows.
func (w *rowWriter) flush(ctx context.Context) error {
	if len(w.labels) == 0 {
		return nil
	}
	return w.exec(ctx, w.query(len(w.labels)), false) // not kept: its length varies
}

func (w *rowWriter) exec(ctx context.Context, q string, keep bool) error {
	if err := w.tx.execArgs(ctx, q, &w.args, keep); err != nil {
		first, last := w.labels[0], w.labels[len(w.labels)-1]
		if first == last {
			return fmt.Errorf("service %q: %s: %w", first, w.what, err)
		}
		return fmt.Errorf("services %q to %q: %s: %w", first, last, w.what, err)
	}
	w.labels = w.labels[:0]
	return nil
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

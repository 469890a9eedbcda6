package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestDriverValue: the writer's statements at the driver level get their
// arguments converted as database/sql converts them for this driver.
func TestDriverValue(t *testing.T) {
	type named string
	s := "text"
	var nilPtr *string
	for _, v := range []any{nil, int64(-3), 7, int32(5), uint8(200), "x", named("ready"), []byte("b"), []byte(nil),
		true, 1.5, float32(2.5), time.Unix(5, 0).UTC(), &s, nilPtr, struct{}{}, []int{1}, uint64(1 << 63)} {
		want, wantErr := driver.DefaultParameterConverter.ConvertValue(v)
		got, err := driverValue(v)
		if (err != nil) != (wantErr != nil) {
			t.Errorf("%T %v: error %v, database/sql's %v", v, v, err, wantErr)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%T %v: (-database/sql +driverValue)\n%s", v, v, diff)
		}
	}
}

// TestExecArgsRefusesValue: an argument database/sql would refuse fails
// the statement with database/sql's error, before it runs, and the write
// with it; the statements run at the driver level are finalized by Close
// (the writer's connection then removes the WAL as it closes).
func TestExecArgsRefusesValue(t *testing.T) {
	db, _ := newRun(t)
	ctx := context.Background()
	const q = `UPDATE run SET status = ? WHERE id = 1`
	var viaSQL, viaDriver error
	err := db.write(ctx, "", "bad argument", func(ctx context.Context, tx *txn, _ string) error {
		_, viaSQL = tx.tx.ExecContext(ctx, q, struct{}{})
		tx.arg(struct{}{})
		viaDriver = tx.execRows(ctx, q)
		return viaDriver
	})
	if viaSQL == nil || viaDriver == nil || viaDriver.Error() != viaSQL.Error() {
		t.Fatalf("execRows: %v; database/sql: %v; want the same error", viaDriver, viaSQL)
	}
	if !errors.Is(err, viaDriver) {
		t.Errorf("the write's error %v does not wrap %v", err, viaDriver)
	}
	if r, err := db.Run(ctx); err != nil || r.Status != RunNew {
		t.Fatalf("run status %q, %v; want %q (nothing written)", r.Status, err, RunNew)
	}
	if err := db.SetRunStatus(ctx, RunBooting); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AppendEvent(ctx, Event{Event: "one"}); err != nil {
		t.Fatal(err)
	}
	if n := keptStmts(t, db); n == 0 {
		t.Fatal("no statement kept at the driver level after the writes")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(db.File() + "-wal"); !os.IsNotExist(err) {
		t.Errorf("a -wal file after Close: %v", err)
	}
}

// keptStmts returns how many statements the writer's connection keeps.
func keptStmts(t *testing.T, db *DB) int {
	t.Helper()
	conn, err := db.sql.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	n := -1
	if err := conn.Raw(func(dc any) error {
		if wc, ok := dc.(*writerConn); ok {
			n = len(wc.stmts)
		}
		return nil
	}); err != nil || n < 0 {
		t.Fatalf("the writer's connection: %v (not a writerConn: %v)", err, n < 0)
	}
	return n
}

// TestDiscardedConnection: when the pool discards the writer's connection
// (database/sql does when the driver finds it unusable, e.g. interrupted
// by a canceled read), the statements kept on it go with it: the writes
// go on on a new connection, and Close still checkpoints and removes the
// WAL (a connection closed with statements left open stays open in
// SQLite).
func TestDiscardedConnection(t *testing.T) {
	db, dir := newRun(t)
	ctx := context.Background()
	for i := range 3 {
		if _, err := db.AppendEvent(ctx, Event{Event: "tick", Detail: fmt.Sprint("before ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Raw(func(any) error { return driver.ErrBadConn }); !errors.Is(err, driver.ErrBadConn) {
		t.Fatalf("Raw: %v", err)
	}
	conn.Close()
	for i := range 3 {
		if _, err := db.AppendEvent(ctx, Event{Event: "tick", Detail: fmt.Sprint("after ", i)}); err != nil {
			t.Fatalf("a write on a new connection: %v", err)
		}
	}
	if n := keptStmts(t, db); n == 0 {
		t.Fatal("no statement kept on the new connection")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(db.File() + "-wal"); !os.IsNotExist(err) {
		t.Errorf("a -wal file after Close: %v", err)
	}
	got := committed(t, dir)
	want := map[int64]string{1: "before 0", 2: "before 1", 3: "before 2", 4: "after 0", 5: "after 1", 6: "after 2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("journal (-want +got):\n%s", diff)
	}
}

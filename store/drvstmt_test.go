package store

import (
	"context"
	"database/sql/driver"
	"errors"
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
	if len(db.drv.stmts) == 0 {
		t.Fatal("no statement kept at the driver level after the writes")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db.drv.stmts != nil {
		t.Errorf("%d statements left after Close", len(db.drv.stmts))
	}
	if _, err := os.Stat(db.File() + "-wal"); !os.IsNotExist(err) {
		t.Errorf("a -wal file after Close: %v", err)
	}
}

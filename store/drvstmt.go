package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
)

// The writer's multi-row statements (the journal's rows, the service
// rows' changes, the instance history's, the plan's rows) are kept
// prepared on the writer's connection at the driver level, and run there
// with arguments built as driver values (txn.execArgs). Through
// database/sql each such statement cost a copy of its arguments (one
// driver.NamedValue each, up to 896 a statement: 36 KB allocated per
// 128-row journal INSERT), their conversion again and the connection's
// locks around the call; the driver's own work (bind, step) is the same.
// The statements live on the connection (writerConn), which finalizes
// them when database/sql closes it: a connection closed with statements
// left open stays open in SQLite, a zombie that keeps the WAL from being
// checkpointed and removed by the last close.

// drvStmts is the writer's part of it: the arguments of the statement
// being built. Only the leader of a batch uses it (one at a time).
type drvStmts struct {
	args namedArgs // the arguments of the statement being built (execRows)
}

// namedArgs are the arguments of a statement, as the driver takes them.
type namedArgs struct {
	vs  []driver.NamedValue
	err error // the first argument that could not be converted
}

// add appends v as the next argument, converted as database/sql converts
// one (driver.DefaultParameterConverter); a value it cannot convert fails
// the statement (execArgs) with database/sql's error.
func (a *namedArgs) add(v any) {
	dv, err := driverValue(v)
	if err != nil && a.err == nil {
		a.err = fmt.Errorf("sql: converting argument $%d type: %w", len(a.vs)+1, err)
	}
	a.vs = append(a.vs, driver.NamedValue{Ordinal: len(a.vs) + 1, Value: dv})
}

// reset forgets the arguments (their values too, for the collector).
func (a *namedArgs) reset() {
	clear(a.vs)
	a.vs, a.err = a.vs[:0], nil
}

// driverValue is driver.DefaultParameterConverter.ConvertValue, what
// database/sql applies to every argument for this driver (modernc's
// statements and connections check no argument themselves), without
// reflection for the values the writer passes.
func driverValue(v any) (driver.Value, error) {
	switch x := v.(type) {
	case nil, int64, string, []byte, float64, bool:
		return v, nil
	case int:
		return int64(x), nil
	}
	return driver.DefaultParameterConverter.ConvertValue(v)
}

// arg appends v to the arguments of the statement being built.
func (t *txn) arg(v any) { t.drv.args.add(v) }

// execRows runs q with the arguments built by arg, its statement kept
// prepared, and resets them.
func (t *txn) execRows(ctx context.Context, q string) error {
	return t.execArgs(ctx, q, &t.drv.args, true)
}

// errNotWriterConn: the transaction's connection is not a writerConn
// (the DB was not opened by open).
var errNotWriterConn = errors.New("not the writer's connection")

// execArgs runs q with args on the transaction's connection at the driver
// level and resets args. With keep its statement stays prepared on the
// connection (up to maxStmts statements), otherwise it is prepared for
// this run alone. Its error is the driver's, as database/sql returns it.
func (t *txn) execArgs(ctx context.Context, q string, args *namedArgs, keep bool) error {
	defer args.reset()
	if args.err != nil {
		return args.err
	}
	var err error
	rerr := t.conn.Raw(func(dc any) error {
		// The statement's error is kept out of Raw: a
		// driver.ErrBadConn returned there would make Raw close the
		// connection under the transaction.
		wc, ok := dc.(*writerConn)
		if !ok {
			err = errNotWriterConn
			return nil
		}
		err = wc.exec(ctx, q, args.vs, keep)
		return nil
	})
	if rerr != nil {
		return rerr
	}
	return err
}

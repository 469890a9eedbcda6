package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
)

// drvStmts are the writer's multi-row statements (the journal's rows, the
// service rows' changes, the instance history's, the plan's rows) kept
// prepared on the writer's connection at the driver level, and run there
// with arguments built as driver values (txn.execArgs). Through
// database/sql each such statement cost a copy of its arguments (one
// driver.NamedValue each, up to 896 a statement: 36 KB allocated per
// 128-row journal INSERT), their conversion again and the connection's
// locks around the call; the driver's own work (bind, step) is the same.
// Only the leader of a batch uses them (one at a time, on the
// transaction's connection through sql.Conn.Raw), so they need no lock of
// their own.
type drvStmts struct {
	conn  any // the driver connection they were prepared on
	stmts map[string]driver.Stmt
	args  namedArgs // the arguments of the statement being built (execRows)
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

// execArgs runs q with args on the transaction's connection at the driver
// level and resets args. With keep its statement is prepared once per DB
// (up to maxStmts statements), otherwise for this run alone. Its error is
// the driver's, as database/sql returns it.
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
		err = t.drv.exec(ctx, dc, q, args.vs, keep)
		return nil
	})
	if rerr != nil {
		return rerr
	}
	return err
}

// exec runs q with args on the driver connection dc.
func (d *drvStmts) exec(ctx context.Context, dc any, q string, args []driver.NamedValue, keep bool) error {
	if d.conn != dc {
		// Not the connection the statements were prepared on (the
		// first use; or the pool replaced a broken one, whose
		// statements went with it).
		d.conn, d.stmts = dc, nil
	}
	s, ok := d.stmts[q]
	if !ok {
		pc, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("driver connection %T cannot prepare", dc)
		}
		var err error
		if s, err = pc.PrepareContext(ctx, q); err != nil {
			return err
		}
		if keep && len(d.stmts) < maxStmts {
			if d.stmts == nil {
				d.stmts = map[string]driver.Stmt{}
			}
			d.stmts[q] = s
		} else {
			defer s.Close()
		}
	}
	se, ok := s.(driver.StmtExecContext)
	if !ok {
		return fmt.Errorf("driver statement %T cannot execute", s)
	}
	_, err := se.ExecContext(ctx, args)
	return err
}

// close finalizes the statements on the connection they were prepared on,
// before the DB closes it: a connection closed with statements left open
// stays open in SQLite (no final checkpoint, the WAL left behind).
func (d *drvStmts) close(ctx context.Context, sdb *sql.DB) error {
	if len(d.stmts) == 0 {
		return nil
	}
	conn, err := sdb.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var errs []error
	err = conn.Raw(func(dc any) error {
		if dc != d.conn {
			return nil // not the connection they were prepared on: gone with it
		}
		for _, s := range d.stmts {
			if err := s.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		return nil
	})
	d.conn, d.stmts = nil, nil
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return fmt.Errorf("close statements: %w", errs[0])
	}
	return nil
}

package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	sqlite "modernc.org/sqlite"
)

// writerConnector opens the writing DB's connections: modernc's, as
// sql.Open("sqlite", dsn) opens them, each in a writerConn.
type writerConnector struct {
	driver.Connector
}

func newWriterConnector(dsn string) (*writerConnector, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return &writerConnector{c}, nil
}

// Connect opens a connection.
func (c *writerConnector) Connect(ctx context.Context) (driver.Conn, error) {
	ci, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	wc, err := newWriterConn(ci)
	if err != nil {
		ci.Close()
		return nil, err
	}
	return wc, nil
}

// sqliteConn is what modernc's connection is to database/sql: every
// method a writerConn passes on.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// writerConn is a connection of the writing DB: modernc's, with the
// writer's statements kept prepared on it (txn.execArgs), finalized when
// database/sql closes it (Close), also when the pool discards it. It is
// to database/sql what modernc's connection is: every method it uses is
// passed on.
type writerConn struct {
	sqliteConn
	stmts map[string]driver.Stmt
}

func newWriterConn(ci driver.Conn) (*writerConn, error) {
	c, ok := ci.(sqliteConn)
	if !ok {
		return nil, fmt.Errorf("driver connection %T lacks a method of modernc's", ci)
	}
	return &writerConn{sqliteConn: c}, nil
}

// exec runs q with args. database/sql calls no method of the connection
// meanwhile (sql.Conn.Raw holds it).
func (c *writerConn) exec(ctx context.Context, q string, args []driver.NamedValue, keep bool) error {
	s, ok := c.stmts[q]
	if !ok {
		var err error
		if s, err = c.PrepareContext(ctx, q); err != nil {
			return err
		}
		if keep && len(c.stmts) < maxStmts {
			if c.stmts == nil {
				c.stmts = map[string]driver.Stmt{}
			}
			c.stmts[q] = s
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

// Close finalizes the statements kept, then closes the connection.
func (c *writerConn) Close() error {
	var errs []error
	for q, s := range c.stmts {
		if err := s.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close statement: %w", err))
		}
		delete(c.stmts, q)
	}
	return errors.Join(errors.Join(errs...), c.sqliteConn.Close())
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
)

// ErrNoIntent is returned for an intent id the record does not hold.
var ErrNoIntent = errors.New("no such launch intent")

// LaunchIntent records, before the IaaS launch call, that an instance is
// about to be launched for svc: an instance_history row in state intent
// with the client token and no instance id, the service's attempt, and the
// service in state launching with a "launch" event, in one transaction. A
// crash after this leaves a row from which terminate can find the instance
// by its client token. It returns the row it wrote (its ID is for
// LaunchDone/LaunchFailed).
func (db *DB) LaunchIntent(ctx context.Context, svc string, attempt int, token, driver string) (HistoryRow, error) {
	var row HistoryRow
	if err := db.write(ctx, svc, "launch intent", launchIntent(svc, attempt, token, driver, &row)); err != nil {
		return HistoryRow{}, err
	}
	return row, nil
}

// launchIntent is the write of LaunchIntent; *row receives the row.
func launchIntent(svc string, attempt int, token, driver string, row *HistoryRow) func(context.Context, *txn, string) error {
	return func(ctx context.Context, tx *txn, now string) error {
		sid, err := serviceID(ctx, tx, svc)
		if err != nil {
			return err
		}
		// The row is inserted with the batch's (historybatch.go), which
		// sets row.ID and keeps it as an intent of this DB.
		*row = HistoryRow{Service: svc, Attempt: attempt, ClientToken: token, Driver: driver,
			Requested: parseStamp(sql.NullString{String: now, Valid: true}), State: HistoryIntent}
		tx.queueIntent(sid, row, now)
		tx.patch(sid, colState, string(StateLaunching))
		tx.patch(sid, colAttempt, attempt)
		tx.journal(Event{Service: svc, Event: "launch", State: StateLaunching,
			Detail: fmt.Sprintf("attempt %d, driver %s, client token %s", attempt, driver, token)}, now, nil)
		return nil
	}
}

// LaunchDone completes the intent row intentID once the launch call returned
// instanceID: the history row becomes launched, and the service gets the
// instance id, driver, handle, attempt and state launched, its host key
// cleared (a new instance is a new host), with a "launched" event, in one
// transaction. It returns the history row as written: the service's
// instance, driver, handle and attempt are its InstanceID, Driver, Handle
// and Attempt.
func (db *DB) LaunchDone(ctx context.Context, intentID int64, instanceID string, handle []byte) (HistoryRow, error) {
	var row HistoryRow
	if err := db.write(ctx, "", fmt.Sprintf("launch %d done", intentID), launchDone(intentID, instanceID, handle, &row)); err != nil {
		return HistoryRow{}, err
	}
	return row, nil
}

// launchDone is the write of LaunchDone; *row receives the row.
func launchDone(intentID int64, instanceID string, handle []byte, row *HistoryRow) func(context.Context, *txn, string) error {
	return func(ctx context.Context, tx *txn, now string) error {
		// The row as LaunchIntent wrote it (intentRows), else read
		// before the update, completed here as the update writes it.
		h, ok := tx.intents.get(intentID)
		if !ok {
			var err error
			if h, err = historyRow(ctx, tx, intentID); err != nil {
				return err
			}
		}
		sid, err := serviceID(ctx, tx, h.Service)
		if err != nil {
			return err
		}
		tx.queueDone(intentID, instanceID, handle, now) // with the batch's (historybatch.go)
		tx.patch(sid, colInstanceID, instanceID)
		tx.patch(sid, colDriver, null(h.Driver))
		tx.patch(sid, colHandle, nullBytes(handle))
		tx.patch(sid, colAttempt, h.Attempt)
		tx.patch(sid, colState, string(StateLaunched))
		tx.patch(sid, colHostKey, nil)
		tx.journal(Event{Service: h.Service, Event: "launched", State: StateLaunched,
			Detail: "instance " + instanceID}, now, nil)
		h.InstanceID, h.Handle, h.State = instanceID, nil, HistoryLaunched
		if len(handle) > 0 {
			h.Handle = slices.Clone(handle)
		}
		h.Launched = parseStamp(sql.NullString{String: now, Valid: true})
		*row = h
		tx.intentsDone = append(tx.intentsDone, intentID)
		return nil
	}
}

// LaunchFailed marks the intent row intentID failed with detail when the
// launch call reported that no instance was created. The service state is
// left to the caller. It returns the row as written.
func (db *DB) LaunchFailed(ctx context.Context, intentID int64, detail string) (HistoryRow, error) {
	var row HistoryRow
	err := db.write(ctx, "", fmt.Sprintf("launch %d failed", intentID), func(ctx context.Context, tx *txn, _ string) error {
		if err := tx.flushHistory(ctx); err != nil { // the batch's rows first
			return err
		}
		if _, _, _, _, err := intent(ctx, tx, intentID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE instance_history SET state = ?, detail = ? WHERE id = ?`,
			HistoryFailed, null(detail), intentID)
		if err != nil {
			return err
		}
		row, err = historyRow(ctx, tx, intentID)
		if err == nil {
			tx.intentsDone = append(tx.intentsDone, intentID)
		}
		return err
	})
	if err != nil {
		return HistoryRow{}, err
	}
	return row, nil
}

func intent(ctx context.Context, tx *txn, id int64) (sid int64, svc string, attempt int, driver string, err error) {
	err = tx.QueryRowContext(ctx, `SELECT h.service_id, s.name, h.attempt, h.driver
		FROM instance_history h JOIN service s ON s.id = h.service_id WHERE h.id = ?`, id).
		Scan(&sid, &svc, &attempt, &driver)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNoIntent
	}
	return sid, svc, attempt, driver, err
}

// MarkInstance records the state of instance instanceID in every history
// row that holds it (normally one). State HistoryTerminated also sets
// terminated_at. An unknown instance id is an error wrapping ErrNoIntent.
// It returns the rows as written, oldest first.
func (db *DB) MarkInstance(ctx context.Context, instanceID string, state HistoryState) ([]HistoryRow, error) {
	var rows []HistoryRow
	err := db.write(ctx, "", fmt.Sprintf("instance %s: mark %s", instanceID, state), func(ctx context.Context, tx *txn, now string) error {
		if err := tx.flushHistory(ctx); err != nil { // the batch's rows first
			return err
		}
		var term any
		if state == HistoryTerminated {
			term = now
		}
		res, err := tx.ExecContext(ctx, `UPDATE instance_history SET state = ?, terminated_at = COALESCE(?, terminated_at) WHERE instance_id = ?`,
			state, term, instanceID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNoIntent
		}
		rows, err = queryHistory(ctx, tx, `WHERE h.instance_id = ?`, instanceID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// historyRow reads one history row in tx, through the statement cache:
// every launch reads back the row it wrote, so a statement parsed each
// time cost the record's single writer more than the writes themselves.
func historyRow(ctx context.Context, tx *txn, id int64) (HistoryRow, error) {
	if err := tx.flushHistory(ctx); err != nil { // the batch's rows first
		return HistoryRow{}, err
	}
	h, err := scanHistory(tx.QueryRowContext(ctx, historySelect+`WHERE h.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return HistoryRow{}, ErrNoIntent
	}
	if err != nil {
		return HistoryRow{}, fmt.Errorf("instance history: %w", err)
	}
	return h, nil
}

// InstanceHistory returns every history row, oldest first.
func (db *DB) InstanceHistory(ctx context.Context) ([]HistoryRow, error) {
	return queryHistory(ctx, db.sql, "")
}

// querier is what queryHistory reads through: the database or a
// transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// historySelect reads history rows; a WHERE clause over h may follow.
const historySelect = `SELECT h.id, s.name, h.attempt, h.client_token, h.driver, h.instance_id,
		h.handle, h.requested_at, h.launched_at, h.state, h.terminated_at, h.detail
		FROM instance_history h JOIN service s ON s.id = h.service_id `

// queryHistory returns the history rows selected by where (a WHERE
// clause over h, the history, or ""), oldest first.
func queryHistory(ctx context.Context, q querier, where string, args ...any) ([]HistoryRow, error) {
	rows, err := q.QueryContext(ctx, historySelect+where+` ORDER BY h.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("instance history: %w", err)
	}
	defer rows.Close()
	var hs []HistoryRow
	for rows.Next() {
		h, err := scanHistory(rows)
		if err != nil {
			return nil, fmt.Errorf("instance history: %w", err)
		}
		hs = append(hs, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("instance history: %w", err)
	}
	return hs, nil
}

// scanHistory reads one row of historySelect (*sql.Row or *sql.Rows).
func scanHistory(r interface{ Scan(...any) error }) (HistoryRow, error) {
	var h HistoryRow
	var inst, requested, launched, terminated, detail sql.NullString
	if err := r.Scan(&h.ID, &h.Service, &h.Attempt, &h.ClientToken, &h.Driver, &inst,
		&h.Handle, &requested, &launched, &h.State, &terminated, &detail); err != nil {
		return HistoryRow{}, err
	}
	h.InstanceID, h.Detail = inst.String, detail.String
	h.Requested, h.Launched, h.Terminated = parseStamp(requested), parseStamp(launched), parseStamp(terminated)
	return h, nil
}

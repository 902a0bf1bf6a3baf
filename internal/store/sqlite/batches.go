package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// HasChunk reports whether the project's session already holds a batch, so retries skip the
// work; ErrConflict when the session is another project's (store.Store.HasChunk).
func (db *DB) HasChunk(ctx context.Context, projectID, sessionID, tab string, seq int64) (bool, error) {
	var owner string
	var has bool
	err := db.reads.queryRow(ctx, db.read, `SELECT project_id, EXISTS (SELECT 1 FROM chunks WHERE session_id = ?1 AND tab = ?2 AND seq = ?3)
		FROM sessions WHERE id = ?1`, sessionID, tab, seq).Scan(&owner, &has)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("sqlite: has chunk: %w", err)
	case owner != projectID:
		return false, fmt.Errorf("sqlite: has chunk: session %s: %w", sessionID, store.ErrConflict)
	}
	return has, nil
}

// AppendBatch records a stored chunk and folds it into its session's row, in one transaction.
func (db *DB) AppendBatch(ctx context.Context, b store.Batch) error {
	return db.AppendBatches(ctx, []store.Batch{b})[0]
}

// AppendBatches records several batches in one transaction, each behind a savepoint so a
// duplicate or conflicting batch changes nothing while the others commit. The batches are
// written in session order, whatever order the group has: two groups naming the same sessions
// then lock their rows in the same order, which a backend with row locks needs so that two
// groups never wait for each other (the contract's GroupsInOppositeOrder).
func (db *DB) AppendBatches(ctx context.Context, bs []store.Batch) []error {
	errs := make([]error, len(bs))
	fail := func(err error) []error {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	order := make([]int, len(bs))
	for i := range order {
		order[i] = i
	}
	// Stable, so a session's batches keep their order within the group.
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(bs[a].Chunk.SessionID, bs[b].Chunk.SessionID) })
	db.stmts.prepareWanted(ctx, db.write)
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fail(fmt.Errorf("sqlite: append batches: %w", err))
	}
	defer sqlTx.Rollback()
	tx := newPreparedTx(sqlTx, &db.stmts)
	refs := blobRefs{}
	for _, i := range order {
		b := bs[i]
		if _, err := tx.ExecContext(ctx, `SAVEPOINT batch`); err != nil {
			return fail(fmt.Errorf("sqlite: append batches: %w", err))
		}
		err := appendBatch(ctx, tx, b)
		if errors.Is(err, store.ErrDuplicate) || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrTooLong) || errors.Is(err, store.ErrErased) {
			if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO batch`); rerr != nil {
				return fail(fmt.Errorf("sqlite: append batches: %w", rerr))
			}
			errs[i] = err
		} else if err != nil {
			return fail(err)
		} else {
			refs.add(b.Chunk.BlobKey, 1)
		}
		if _, err := tx.ExecContext(ctx, `RELEASE batch`); err != nil {
			return fail(fmt.Errorf("sqlite: append batches: %w", err))
		}
	}
	if _, err := refs.apply(ctx, tx); err != nil {
		return fail(fmt.Errorf("sqlite: append batches: %w", err))
	}
	seen, err := db.text.begin(ctx, tx)
	if err != nil {
		return fail(fmt.Errorf("sqlite: append batches: %w", err))
	}
	for _, i := range order {
		if errs[i] == nil {
			if err := indexText(ctx, tx, seen, bs[i].Chunk.SessionID, bs[i].Text); err != nil {
				return fail(fmt.Errorf("sqlite: append batches: %w", err))
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(fmt.Errorf("sqlite: append batches: commit: %w", err))
	}
	db.text.commit(seen)
	return errs
}

// updateSession folds a batch into its session's row; updateSessionPages also recounts its
// pages (measure.Pages: a view of the path before it is not a new page) and finds its entry and exit pages. Tabs are recounted only for a tab's first chunk.
const (
	recountTabs = `CASE WHEN EXISTS (SELECT 1 FROM chunks WHERE session_id = ?8 AND tab = ?11 AND seq <> ?12) THEN tabs
			ELSE (SELECT COUNT(DISTINCT tab) FROM chunks WHERE session_id = ?8) END`
	updateSession = `UPDATE sessions SET
			user_id    = CASE WHEN ?10 <> '' THEN ?10 ELSE user_id END,
			last_batch_at = ?9,
			started_at = MIN(started_at, ?1),
			ended_at   = MAX(ended_at, ?2),
			clicks     = clicks + ?3,
			events     = events + ?4,
			active_ms  = active_ms + ?13,
			user_agent = CASE WHEN user_agent = '' THEN ?5 ELSE user_agent END,
			vp_width   = CASE WHEN ?6 > 0 THEN ?6 ELSE vp_width END,
			vp_height  = CASE WHEN ?7 > 0 THEN ?7 ELSE vp_height END,
			tabs       = ` + recountTabs + `,
			updated_at = ?9
		WHERE id = ?8`
	updateSessionPages = `UPDATE sessions SET
			user_id    = CASE WHEN ?10 <> '' THEN ?10 ELSE user_id END,
			last_batch_at = ?9,
			started_at = MIN(started_at, ?1),
			ended_at   = MAX(ended_at, ?2),
			clicks     = clicks + ?3,
			events     = events + ?4,
			active_ms  = active_ms + ?13,
			user_agent = CASE WHEN user_agent = '' THEN ?5 ELSE user_agent END,
			vp_width   = CASE WHEN ?6 > 0 THEN ?6 ELSE vp_width END,
			vp_height  = CASE WHEN ?7 > 0 THEN ?7 ELSE vp_height END,
			pages      = (SELECT COUNT(*) FROM (SELECT path, LAG(path) OVER (ORDER BY at, rowid) AS prev FROM session_pages WHERE session_id = ?8) v
				WHERE prev IS NULL OR prev <> path),
			entry_url  = COALESCE((SELECT url FROM session_pages WHERE session_id = ?8 ORDER BY at, rowid LIMIT 1), ''),
			exit_url   = COALESCE((SELECT url FROM session_pages WHERE session_id = ?8 ORDER BY at DESC, rowid DESC LIMIT 1), ''),
			entry_path = COALESCE((SELECT path FROM session_pages WHERE session_id = ?8 ORDER BY at, rowid LIMIT 1), ''),
			exit_path  = COALESCE((SELECT path FROM session_pages WHERE session_id = ?8 ORDER BY at DESC, rowid DESC LIMIT 1), ''),
			tabs       = ` + recountTabs + `,
			updated_at = ?9
		WHERE id = ?8`
)

func appendBatch(ctx context.Context, tx querier, b store.Batch) error {
	c := b.Chunk
	var owner string
	var started, ended int64
	if err := refuseErased(ctx, tx, c.SessionID); err != nil {
		return err
	}
	err := tx.QueryRowContext(ctx, `SELECT project_id, started_at, ended_at FROM sessions WHERE id = ?`, c.SessionID).Scan(&owner, &started, &ended)
	if errors.Is(err, sql.ErrNoRows) {
		// A session's first batch is held to the span too: its event times are the visitor's.
		started, ended = ms(c.FirstAt), ms(c.LastAt)
	}
	if (err == nil || errors.Is(err, sql.ErrNoRows)) && b.MaxSpan > 0 &&
		max(ended, ms(c.LastAt))-min(started, ms(c.FirstAt)) > b.MaxSpan.Milliseconds() {
		return fmt.Errorf("sqlite: append batch: session %s: %w", c.SessionID, store.ErrTooLong)
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, `INSERT INTO sessions(id, project_id, started_at, ended_at, user_agent, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			c.SessionID, b.ProjectID, ms(c.FirstAt), ms(c.LastAt), b.UserAgent, time.Now().UnixMilli())
		if err != nil {
			return fmt.Errorf("sqlite: append batch: create session: %w", err)
		}
	case err != nil:
		return fmt.Errorf("sqlite: append batch: %w", err)
	case owner != b.ProjectID:
		return fmt.Errorf("sqlite: append batch: session %s: %w", c.SessionID, store.ErrConflict)
	}

	_, err = tx.ExecContext(ctx, `INSERT INTO chunks(session_id, tab, seq, first_at, last_at, events, raw_bytes, stored_bytes, blob_key, sent_at, created_at, snapshot_at, blob_offset, blob_length)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.SessionID, c.Tab, c.Seq, ms(c.FirstAt), ms(c.LastAt), c.Events, c.RawBytes, c.StoredBytes, c.BlobKey, ms(b.SentAt), time.Now().UnixMilli(), optMS(c.SnapshotAt), c.BlobOffset, c.BlobLength)
	if isUniqueViolation(err) {
		return fmt.Errorf("sqlite: append batch %s/%s/%d: %w", c.SessionID, c.Tab, c.Seq, store.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("sqlite: append batch: insert chunk: %w", err)
	}
	for _, p := range b.Pages {
		if _, err := tx.ExecContext(ctx, `INSERT INTO session_pages(session_id, tab, at, url, path) VALUES (?, ?, ?, ?, ?)`, c.SessionID, p.Tab, ms(p.At), p.URL, urlPath(p.URL)); err != nil {
			return fmt.Errorf("sqlite: append batch: insert page: %w", err)
		}
	}
	if err := appendVitals(ctx, tx, b); err != nil {
		return fmt.Errorf("sqlite: append batch: %w", err)
	}
	if err := indexForSearch(ctx, tx, b); err != nil {
		return fmt.Errorf("sqlite: append batch: %w", err)
	}
	now := time.Now()
	if err := addContent(ctx, tx, b.ProjectID, c.SessionID, b.Content, now); err != nil {
		return fmt.Errorf("sqlite: append batch: %w", err)
	}
	// Pages, entry and exit change only with a page view; most batches carry none and skip
	// those subqueries.
	update := updateSession
	if len(b.Pages) > 0 {
		update = updateSessionPages
	}
	_, err = tx.ExecContext(ctx, update,
		ms(c.FirstAt), ms(c.LastAt), b.Clicks, c.Events, b.UserAgent, b.Viewport.Width, b.Viewport.Height, c.SessionID, ms(now), b.UserID, c.Tab, c.Seq, b.ActiveMS)
	if err != nil {
		return fmt.Errorf("sqlite: append batch: update session: %w", err)
	}
	if err := indexFlags(ctx, tx, b); err != nil {
		return err
	}
	if err := indexMore(ctx, tx, b); err != nil {
		return fmt.Errorf("sqlite: append batch: %w", err)
	}
	return nil
}

// refuseErased answers ErrErased for a session id that was erased: a batch sent after the
// erasure (a queue the SDK kept, a replay of the request) must not bring the session back.
func refuseErased(ctx context.Context, tx querier, id string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM erased_sessions WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlite: append batch: tombstone: %w", err)
	}
	return fmt.Errorf("sqlite: append batch: session %s: %w", id, store.ErrErased)
}

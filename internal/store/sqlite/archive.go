package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/reelhq/reel/internal/store"
)

var _ store.Archives = (*DB)(nil)

func scanArchived(rows *sql.Rows) ([]store.Archived, error) {
	defer rows.Close()
	var out []store.Archived
	for rows.Next() {
		var a store.Archived
		var h []byte
		var at int64
		if err := rows.Scan(&a.URL, &h, &a.Type, &a.Size, &a.Error, &at); err != nil {
			return nil, err
		}
		if h != nil {
			a.Hash = hex.EncodeToString(h)
		}
		a.FetchedAt = fromMS(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// SessionArchive lists what a session's replay uses, by URL.
func (db *DB) SessionArchive(ctx context.Context, sessionID string) ([]store.Archived, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT url, hash, type, size, error, fetched_at FROM session_archive
		WHERE session_id = ? ORDER BY url`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: session archive %s: %w", sessionID, err)
	}
	out, err := scanArchived(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: session archive %s: %w", sessionID, err)
	}
	return out, nil
}

// LatestArchived returns the newest row of a project's URL.
func (db *DB) LatestArchived(ctx context.Context, projectID, url string) (store.Archived, bool, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT url, hash, type, size, error, fetched_at FROM session_archive
		WHERE project_id = ? AND url = ? ORDER BY fetched_at DESC LIMIT 1`, projectID, url)
	if err != nil {
		return store.Archived{}, false, fmt.Errorf("sqlite: latest archived: %w", err)
	}
	out, err := scanArchived(rows)
	if err != nil || len(out) == 0 {
		return store.Archived{}, false, err
	}
	return out[0], true, nil
}

// TouchContent refreshes a content item's touched time, the sweep's grace period.
func (db *DB) TouchContent(ctx context.Context, projectID, hash string, now time.Time) (bool, error) {
	h, err := hashBytes(hash)
	if err != nil {
		return false, fmt.Errorf("sqlite: touch content: %w", err)
	}
	res, err := db.write.ExecContext(ctx, `UPDATE content SET touched_at = MAX(touched_at, ?) WHERE project_id = ? AND hash = ?`, ms(now), projectID, h)
	if err != nil {
		return false, fmt.Errorf("sqlite: touch content %s: %w", hash, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SaveArchive records a session's archived resources in one transaction.
func (db *DB) SaveArchive(ctx context.Context, sessionID string, rows []store.Archived, refs []store.ContentRef, now time.Time) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: save archive: %w", err)
	}
	defer tx.Rollback()
	var projectID string
	if err := tx.QueryRowContext(ctx, `SELECT project_id FROM sessions WHERE id = ?`, sessionID).Scan(&projectID); err == sql.ErrNoRows {
		return store.ErrNotFound
	} else if err != nil {
		return fmt.Errorf("sqlite: save archive %s: %w", sessionID, err)
	}
	if err := addContent(ctx, tx, projectID, sessionID, refs, now); err != nil {
		return fmt.Errorf("sqlite: save archive: %w", err)
	}
	for _, a := range rows {
		var h []byte
		if a.Hash != "" {
			if h, err = hashBytes(a.Hash); err != nil {
				return fmt.Errorf("sqlite: save archive: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO session_archive(session_id, project_id, url, hash, type, size, error, fetched_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT(session_id, url) DO UPDATE SET hash = excluded.hash, type = excluded.type, size = excluded.size,
				error = excluded.error, fetched_at = excluded.fetched_at`,
			sessionID, projectID, a.URL, h, a.Type, a.Size, a.Error, ms(a.FetchedAt)); err != nil {
			return fmt.Errorf("sqlite: save archive %s: %w", sessionID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: save archive: commit: %w", err)
	}
	return nil
}

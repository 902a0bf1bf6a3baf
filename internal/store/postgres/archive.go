package postgres

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/internal/store"
)

var _ store.Archives = (*DB)(nil)

func scanArchived(rows pgx.Rows) ([]store.Archived, error) {
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
	rows, err := db.pool.Query(ctx, `SELECT url, hash, type, size, error, fetched_at FROM session_archive
		WHERE session_id = $1 ORDER BY url`, clean(sessionID))
	if err != nil {
		return nil, fmt.Errorf("postgres: session archive %s: %w", sessionID, err)
	}
	out, err := scanArchived(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: session archive %s: %w", sessionID, err)
	}
	return out, nil
}

// LatestArchived returns the newest row of a project's URL.
func (db *DB) LatestArchived(ctx context.Context, projectID, url string) (store.Archived, bool, error) {
	rows, err := db.pool.Query(ctx, `SELECT url, hash, type, size, error, fetched_at FROM session_archive
		WHERE project_id = $1 AND md5(url) = md5($2::text) AND url = $2 ORDER BY fetched_at DESC LIMIT 1`, projectID, clean(url))
	if err != nil {
		return store.Archived{}, false, fmt.Errorf("postgres: latest archived: %w", err)
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
		return false, fmt.Errorf("postgres: touch content: %w", err)
	}
	tag, err := db.pool.Exec(ctx, `UPDATE content SET touched_at = GREATEST(touched_at, $1) WHERE project_id = $2 AND hash = $3`, ms(now), projectID, h)
	if err != nil {
		return false, fmt.Errorf("postgres: touch content %s: %w", hash, err)
	}
	return tag.RowsAffected() == 1, nil
}

// SaveArchive records a session's archived resources in one transaction.
func (db *DB) SaveArchive(ctx context.Context, sessionID string, rows []store.Archived, refs []store.ContentRef, now time.Time) error {
	sessionID = clean(sessionID)
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: save archive: %w", err)
	}
	defer tx.Rollback(context.Background())
	// Content rows first, then the session's: the lock order ingest follows.
	var projectID string
	if err := tx.QueryRow(ctx, `SELECT project_id FROM sessions WHERE id = $1`, sessionID).Scan(&projectID); errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	} else if err != nil {
		return fmt.Errorf("postgres: save archive %s: %w", sessionID, err)
	}
	ids, err := numberAndLink(ctx, tx, projectID, refs, now)
	if err != nil {
		return fmt.Errorf("postgres: save archive: %w", err)
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE`, sessionID); err != nil {
		return fmt.Errorf("postgres: save archive %s: %w", sessionID, err)
	}
	if err := addRoots(ctx, tx, sessionID, refs, ids); err != nil {
		return fmt.Errorf("postgres: save archive: %w", err)
	}
	for _, a := range rows {
		var h []byte
		if a.Hash != "" {
			if h, err = hashBytes(a.Hash); err != nil {
				return fmt.Errorf("postgres: save archive: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO session_archive(session_id, project_id, url, hash, type, size, error, fetched_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (session_id, md5(url)) DO UPDATE SET hash = excluded.hash, type = excluded.type, size = excluded.size,
				error = excluded.error, fetched_at = excluded.fetched_at`,
			sessionID, projectID, clean(a.URL), h, clean(a.Type), a.Size, clean(a.Error), ms(a.FetchedAt)); err != nil {
			return fmt.Errorf("postgres: save archive %s: %w", sessionID, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: save archive: commit: %w", err)
	}
	return nil
}

package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/internal/store"
)

// RotateKey makes newKey the project's key and keeps the current one ingesting until graceUntil.
func (db *DB) RotateKey(ctx context.Context, id, newKey string, graceUntil time.Time) (store.Project, error) {
	p, err := scanProject(db.pool.QueryRow(ctx, `UPDATE projects SET previous_key = public_key, previous_key_until = $1, public_key = $2 WHERE id = $3
		RETURNING `+projectCols, ms(graceUntil), newKey, clean(id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Project{}, fmt.Errorf("postgres: rotate key of %s: %w", id, store.ErrNotFound)
	}
	if isUniqueViolation(err) {
		return store.Project{}, fmt.Errorf("postgres: rotate key of %s: %w", id, store.ErrDuplicate)
	}
	if err != nil {
		return store.Project{}, fmt.Errorf("postgres: rotate key of %s: %w", id, err)
	}
	return p, nil
}

// SessionsOfProject returns up to limit of a project's sessions.
func (db *DB) SessionsOfProject(ctx context.Context, projectID string, limit int) ([]string, error) {
	rows, err := db.pool.Query(ctx, `SELECT id FROM sessions WHERE project_id = $1 ORDER BY id LIMIT $2`, clean(projectID), limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: sessions of project %s: %w", projectID, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: sessions of project %s: %w", projectID, err)
	}
	return ids, nil
}

// DeleteProject removes a project without sessions and the rows that belong to it alone; saved
// searches, playlists and their alert rules go by ON DELETE CASCADE.
func (db *DB) DeleteProject(ctx context.Context, id string) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: delete project %s: %w", id, err)
	}
	defer tx.Rollback(context.Background())
	id = clean(id)
	var one int
	// The project's row is locked first, so a batch creating a session of it (which reads the
	// row through its foreign key) either commits before the check below or fails after.
	err = tx.QueryRow(ctx, `SELECT 1 FROM projects WHERE id = $1 FOR UPDATE`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: delete project %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("postgres: delete project %s: %w", id, err)
	}
	err = tx.QueryRow(ctx, `SELECT 1 FROM sessions WHERE project_id = $1 LIMIT 1`, id).Scan(&one)
	if err == nil {
		return fmt.Errorf("postgres: delete project %s: it still has sessions: %w", id, store.ErrConflict)
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: delete project %s: %w", id, err)
	}
	for _, q := range []string{
		`DELETE FROM alert_rules WHERE project_id = $1`,
		`DELETE FROM content_children WHERE parent IN (SELECT id FROM content WHERE project_id = $1) OR child IN (SELECT id FROM content WHERE project_id = $1)`,
		`DELETE FROM content WHERE project_id = $1`,
		`DELETE FROM heat_pages WHERE project_id = $1`,
		`DELETE FROM projects WHERE id = $1`,
	} {
		if _, err := tx.Exec(ctx, q, id); err != nil {
			return fmt.Errorf("postgres: delete project %s: %w", id, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: delete project %s: commit: %w", id, err)
	}
	return nil
}

const shareCols = `id, token_hash, session_id, project_id, created_by, created_at, expires_at, revoked_at, at_ms, note`

func scanShare(row pgx.Row) (store.ShareLink, error) {
	var l store.ShareLink
	var created, expires, revoked int64
	if err := row.Scan(&l.ID, &l.TokenHash, &l.SessionID, &l.ProjectID, &l.CreatedBy, &created, &expires, &revoked, &l.AtMS, &l.Note); err != nil {
		return l, err
	}
	l.CreatedAt, l.ExpiresAt = fromMS(created), fromMS(expires)
	if revoked != 0 {
		l.RevokedAt = fromMS(revoked)
	}
	return l, nil
}

// CreateShare stores a share link of an existing session of its project.
func (db *DB) CreateShare(ctx context.Context, l store.ShareLink) error {
	tag, err := db.pool.Exec(ctx, `INSERT INTO share_links(`+shareCols+`)
		SELECT $1, $2, id, project_id, $3, $4, $5, 0, $6, $7 FROM sessions WHERE id = $8 AND project_id = $9`,
		l.ID, l.TokenHash, l.CreatedBy, ms(l.CreatedAt), ms(l.ExpiresAt), l.AtMS, clean(l.Note), clean(l.SessionID), clean(l.ProjectID))
	if isUniqueViolation(err) {
		return fmt.Errorf("postgres: create share: %w", store.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("postgres: create share: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: create share of %s: %w", l.SessionID, store.ErrNotFound)
	}
	return nil
}

func (db *DB) shareWhere(ctx context.Context, where string, arg any) (store.ShareLink, error) {
	l, err := scanShare(db.pool.QueryRow(ctx, `SELECT `+shareCols+` FROM share_links WHERE `+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return l, fmt.Errorf("postgres: share: %w", store.ErrNotFound)
	}
	if err != nil {
		return l, fmt.Errorf("postgres: share: %w", err)
	}
	return l, nil
}

// ShareByToken finds a link by its token's hash.
func (db *DB) ShareByToken(ctx context.Context, tokenHash string) (store.ShareLink, error) {
	return db.shareWhere(ctx, `token_hash = $1`, clean(tokenHash))
}

// Share finds a link by its id.
func (db *DB) Share(ctx context.Context, id string) (store.ShareLink, error) {
	return db.shareWhere(ctx, `id = $1`, clean(id))
}

// SessionShares lists a session's links, newest first.
func (db *DB) SessionShares(ctx context.Context, sessionID string) ([]store.ShareLink, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+shareCols+` FROM share_links WHERE session_id = $1 ORDER BY created_at DESC, id DESC`, clean(sessionID))
	if err != nil {
		return nil, fmt.Errorf("postgres: session shares: %w", err)
	}
	defer rows.Close()
	out := []store.ShareLink{}
	for rows.Next() {
		l, err := scanShare(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: session shares: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// RevokeShare marks a link revoked, keeping the first revocation's time.
func (db *DB) RevokeShare(ctx context.Context, id string, at time.Time) error {
	tag, err := db.pool.Exec(ctx, `UPDATE share_links SET revoked_at = CASE WHEN revoked_at = 0 THEN $1 ELSE revoked_at END WHERE id = $2`, ms(at), clean(id))
	if err != nil {
		return fmt.Errorf("postgres: revoke share %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: revoke share %s: %w", id, store.ErrNotFound)
	}
	return nil
}

// RecordErased keeps tombstones for sessions about to be erased.
func (db *DB) RecordErased(ctx context.Context, projectID string, ids []string, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := db.pool.Exec(ctx, `INSERT INTO erased_sessions(id, project_id, erased_at)
		SELECT DISTINCT u, $2::text, $3::bigint FROM unnest($1::text[]) AS u ORDER BY 1 ON CONFLICT (id) DO NOTHING`, ids, clean(projectID), ms(at)); err != nil {
		return fmt.Errorf("postgres: record erased: %w", err)
	}
	return nil
}

// PruneErased forgets tombstones older than before.
func (db *DB) PruneErased(ctx context.Context, before time.Time) (int, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM erased_sessions WHERE erased_at < $1`, ms(before))
	if err != nil {
		return 0, fmt.Errorf("postgres: prune erased: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// RotateKey makes newKey the project's key and keeps the current one ingesting until graceUntil.
func (db *DB) RotateKey(ctx context.Context, id, newKey string, graceUntil time.Time) (store.Project, error) {
	res, err := db.write.ExecContext(ctx, `UPDATE projects SET previous_key = public_key, previous_key_until = ?, public_key = ? WHERE id = ?`,
		ms(graceUntil), newKey, id)
	if isUniqueViolation(err) {
		return store.Project{}, fmt.Errorf("sqlite: rotate key of %s: %w", id, store.ErrDuplicate)
	}
	if err != nil {
		return store.Project{}, fmt.Errorf("sqlite: rotate key of %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.Project{}, fmt.Errorf("sqlite: rotate key of %s: %w", id, store.ErrNotFound)
	}
	p, err := scanProject(db.write.QueryRowContext(ctx, `SELECT `+projectCols+` FROM projects WHERE id = ?`, id))
	if err != nil {
		return p, fmt.Errorf("sqlite: rotate key of %s: %w", id, err)
	}
	return p, nil
}

// SessionsOfProject returns up to limit of a project's sessions.
func (db *DB) SessionsOfProject(ctx context.Context, projectID string, limit int) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id FROM sessions WHERE project_id = ? ORDER BY id LIMIT ?`, projectID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: sessions of project %s: %w", projectID, err)
	}
	ids, err := scanIDs(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: sessions of project %s: %w", projectID, err)
	}
	return ids, nil
}

// DeleteProject removes a project without sessions and the rows that belong to it alone; saved
// searches, playlists and their alert rules go by ON DELETE CASCADE.
func (db *DB) DeleteProject(ctx context.Context, id string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: delete project %s: %w", id, err)
	}
	defer tx.Rollback()
	var one int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM projects WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: delete project %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("sqlite: delete project %s: %w", id, err)
	}
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM sessions WHERE project_id = ? LIMIT 1`, id).Scan(&one)
	if err == nil {
		return fmt.Errorf("sqlite: delete project %s: it still has sessions: %w", id, store.ErrConflict)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: delete project %s: %w", id, err)
	}
	for _, q := range []string{
		`DELETE FROM alert_rules WHERE project_id = ?1`,
		`DELETE FROM content_children WHERE parent IN (SELECT id FROM content WHERE project_id = ?1) OR child IN (SELECT id FROM content WHERE project_id = ?1)`,
		`DELETE FROM content WHERE project_id = ?1`,
		`DELETE FROM heat_pages WHERE project_id = ?1`,
		`DELETE FROM projects WHERE id = ?1`,
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("sqlite: delete project %s: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: delete project %s: commit: %w", id, err)
	}
	return nil
}

const shareCols = `id, token_hash, session_id, project_id, created_by, created_at, expires_at, revoked_at, at_ms, note`

func scanShare(row interface{ Scan(...any) error }) (store.ShareLink, error) {
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
	res, err := db.write.ExecContext(ctx, `INSERT INTO share_links(`+shareCols+`)
		SELECT ?, ?, id, project_id, ?, ?, ?, 0, ?, ? FROM sessions WHERE id = ? AND project_id = ?`,
		l.ID, l.TokenHash, l.CreatedBy, ms(l.CreatedAt), ms(l.ExpiresAt), l.AtMS, l.Note, l.SessionID, l.ProjectID)
	if isUniqueViolation(err) {
		return fmt.Errorf("sqlite: create share: %w", store.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("sqlite: create share: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlite: create share of %s: %w", l.SessionID, store.ErrNotFound)
	}
	return nil
}

func (db *DB) shareWhere(ctx context.Context, where string, arg any) (store.ShareLink, error) {
	l, err := scanShare(db.read.QueryRowContext(ctx, `SELECT `+shareCols+` FROM share_links WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return l, fmt.Errorf("sqlite: share: %w", store.ErrNotFound)
	}
	if err != nil {
		return l, fmt.Errorf("sqlite: share: %w", err)
	}
	return l, nil
}

// ShareByToken finds a link by its token's hash.
func (db *DB) ShareByToken(ctx context.Context, tokenHash string) (store.ShareLink, error) {
	return db.shareWhere(ctx, `token_hash = ?`, tokenHash)
}

// Share finds a link by its id.
func (db *DB) Share(ctx context.Context, id string) (store.ShareLink, error) {
	return db.shareWhere(ctx, `id = ?`, id)
}

// SessionShares lists a session's links, newest first.
func (db *DB) SessionShares(ctx context.Context, sessionID string) ([]store.ShareLink, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+shareCols+` FROM share_links WHERE session_id = ? ORDER BY created_at DESC, id DESC`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: session shares: %w", err)
	}
	defer rows.Close()
	out := []store.ShareLink{}
	for rows.Next() {
		l, err := scanShare(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: session shares: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// RevokeShare marks a link revoked, keeping the first revocation's time.
func (db *DB) RevokeShare(ctx context.Context, id string, at time.Time) error {
	res, err := db.write.ExecContext(ctx, `UPDATE share_links SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END WHERE id = ?`, ms(at), id)
	if err != nil {
		return fmt.Errorf("sqlite: revoke share %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlite: revoke share %s: %w", id, store.ErrNotFound)
	}
	return nil
}

// RecordErased keeps tombstones for sessions about to be erased.
func (db *DB) RecordErased(ctx context.Context, projectID string, ids []string, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: record erased: %w", err)
	}
	defer tx.Rollback()
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `INSERT INTO erased_sessions(id, project_id, erased_at) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING`, id, projectID, ms(at)); err != nil {
			return fmt.Errorf("sqlite: record erased %s: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: record erased: commit: %w", err)
	}
	return nil
}

// PruneErased forgets tombstones older than before.
func (db *DB) PruneErased(ctx context.Context, before time.Time) (int, error) {
	res, err := db.write.ExecContext(ctx, `DELETE FROM erased_sessions WHERE erased_at < ?`, ms(before))
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune erased: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

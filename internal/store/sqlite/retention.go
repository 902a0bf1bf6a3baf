package sqlite

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// ExpiredSessions finds sessions past their project's retention, by when the server received
// them (store.Store.ExpiredSessions).
func (db *DB) ExpiredSessions(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT s.id FROM sessions s JOIN projects p ON p.id = s.project_id
		WHERE p.retention_days > 0
		AND CASE WHEN s.last_batch_at > 0 THEN s.last_batch_at ELSE s.updated_at END < ? - p.retention_days * 86400000 LIMIT ?`, ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: expired sessions: %w", err)
	}
	return scanIDs(rows)
}

// SessionsSharingBlobs finds sessions whose uncompacted chunks sit in the same packs as ids'.
func (db *DB) SessionsSharingBlobs(ctx context.Context, ids []string) ([]string, error) {
	seen := map[string]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	var out []string
	for _, id := range ids {
		rows, err := db.read.QueryContext(ctx, `SELECT o.session_id FROM chunks c JOIN chunks o ON o.blob_key = c.blob_key
			WHERE c.session_id = ?1 AND c.blob_key <> '' AND o.session_id <> c.session_id
			UNION
			SELECT o.session_id FROM chunks o
			WHERE o.blob_key <> '' AND NOT o.compacted AND o.session_id <> ?1
			AND EXISTS (SELECT 1 FROM chunks c WHERE c.session_id = ?1 AND c.compacted AND o.created_at BETWEEN c.created_at - ?2 AND c.created_at + ?2)`, id, store.PackWindow.Milliseconds())
		if err != nil {
			return nil, fmt.Errorf("sqlite: sessions sharing blobs: %w", err)
		}
		others, err := scanIDs(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: sessions sharing blobs: %w", err)
		}
		for _, o := range others {
			if !seen[o] {
				seen[o] = true
				out = append(out, o)
			}
		}
	}
	return out, nil
}

// SessionsOfUser finds the sessions of a project that were ever identified as userID, under
// any of their ids (session_users), in id order.
func (db *DB) SessionsOfUser(ctx context.Context, projectID, userID string) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT s.id FROM session_users u JOIN sessions s ON s.id = u.session_id
		WHERE u.user_id = ? AND u.user_id <> '' AND s.project_id = ? ORDER BY s.id`, userID, projectID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: sessions of user: %w", err)
	}
	return scanIDs(rows)
}

// DeleteSessions removes sessions and everything indexed under them, and returns the blobs
// whose last reference it removed (blobRefs). Sessions are taken in id order, then blobs in key
// order, as every writer takes them.
func (db *DB) DeleteSessions(ctx context.Context, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: delete sessions: %w", err)
	}
	defer tx.Rollback()
	refs := blobRefs{}
	pieces := map[int64]bool{}
	for _, id := range ids {
		text, err := sessionPieces(ctx, tx, id)
		if err != nil {
			return nil, fmt.Errorf("sqlite: delete sessions: text: %w", err)
		}
		for _, p := range text {
			pieces[p] = true
		}
		// Every row pointing into a blob is one reference: a chunk still read from its pack, a
		// segment row.
		rows, err := tx.QueryContext(ctx, `SELECT blob_key FROM chunks WHERE session_id = ?1 AND blob_key <> ''
			UNION ALL SELECT blob_key FROM segments WHERE session_id = ?1`, id)
		if err != nil {
			return nil, fmt.Errorf("sqlite: delete sessions: %w", err)
		}
		k, err := scanIDs(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: delete sessions: %w", err)
		}
		for _, key := range k {
			refs.add(key, -1)
		}
		for _, q := range []string{`DELETE FROM session_content WHERE session_id = ?`, `DELETE FROM segments WHERE session_id = ?`,
			`DELETE FROM chunks WHERE session_id = ?`, `DELETE FROM session_pages WHERE session_id = ?`, `DELETE FROM sessions WHERE id = ?`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return nil, fmt.Errorf("sqlite: delete session %s: %w", id, err)
			}
		}
	}
	keys, err := refs.apply(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: delete sessions: %w", err)
	}
	// The search index's rows went with their sessions (ON DELETE CASCADE); an error message,
	// a piece of on-screen text or a heatmap's path is stored once for all sessions, and may
	// name the person, so it goes with its last one.
	if _, err := tx.ExecContext(ctx, `DELETE FROM error_messages WHERE NOT EXISTS (SELECT 1 FROM session_errors WHERE message_id = error_messages.id)`); err != nil {
		return nil, fmt.Errorf("sqlite: delete sessions: error messages: %w", err)
	}
	if err := dropUnusedText(ctx, tx, pieces); err != nil {
		return nil, fmt.Errorf("sqlite: delete sessions: %w", err)
	}
	if err := dropUnusedHeatPages(ctx, tx); err != nil {
		return nil, fmt.Errorf("sqlite: delete sessions: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: delete sessions: commit: %w", err)
	}
	return keys, nil
}

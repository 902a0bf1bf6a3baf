package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/reelhq/reel/internal/store"
)

func hashBytes(h string) ([]byte, error) {
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("invalid content hash %q", h)
	}
	return b, nil
}

// addContent records the content items a session uses: their rows (refreshing the touched time,
// which protects them from a concurrent sweep), their child edges, and the session's roots.
// Items and edges are named by id (migration 0014); a child is one of refs, as compaction and
// ingest give them, or an item the project already has.
func addContent(ctx context.Context, tx querier, projectID, sessionID string, refs []store.ContentRef, now time.Time) error {
	ids, err := numberContent(ctx, tx, projectID, refs, now)
	if err != nil {
		return err
	}
	var roots []int64
	for _, c := range refs {
		if c.Root {
			roots = append(roots, ids[c.Hash])
		}
	}
	if err := addSessionContent(ctx, tx, sessionID, roots); err != nil {
		return err
	}
	for _, c := range refs {
		for _, child := range c.Children {
			ch, ok := ids[child]
			if !ok {
				hb, err := hashBytes(child)
				if err != nil {
					return err
				}
				// An item the project does not have is never given a row here: a row is
				// what tells ingest the item is stored.
				if err := tx.QueryRowContext(ctx, `SELECT id FROM content WHERE project_id = ? AND hash = ?`, projectID, hb).Scan(&ch); err != nil {
					return fmt.Errorf("content edge %s -> %s: %w", c.Hash, child, err)
				}
				ids[child] = ch
			}
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO content_children(parent, child) VALUES (?, ?)`, ids[c.Hash], ch); err != nil {
				return fmt.Errorf("content edge %s: %w", c.Hash, err)
			}
		}
	}
	return nil
}

// addSessionContent adds ids to the session's packed set of roots (migration 0017).
func addSessionContent(ctx context.Context, tx querier, sessionID string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	var packed []byte
	err := tx.QueryRowContext(ctx, `SELECT ids FROM session_content WHERE session_id = ?`, sessionID).Scan(&packed)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("content refs: %w", err)
	}
	have, err := unpackIDs(packed)
	if err != nil {
		return fmt.Errorf("content refs: %w", err)
	}
	merged := packIDs(append(have, ids...))
	if packed != nil && bytes.Equal(merged, packed) {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO session_content(session_id, ids) VALUES (?, ?)
		ON CONFLICT(session_id) DO UPDATE SET ids = excluded.ids`, sessionID, merged); err != nil {
		return fmt.Errorf("content refs: %w", err)
	}
	return nil
}

// numberContent inserts or refreshes the rows of stored content items and returns their ids.
// An item that carries its id was recorded moments ago (NumberContent) and is not written again.
func numberContent(ctx context.Context, tx querier, projectID string, refs []store.ContentRef, now time.Time) (map[string]int64, error) {
	ids := make(map[string]int64, len(refs))
	for _, c := range refs {
		if c.ID != 0 {
			ids[c.Hash] = c.ID
			continue
		}
		h, err := hashBytes(c.Hash)
		if err != nil {
			return nil, err
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO content(project_id, hash, size, stored, touched_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT(project_id, hash) DO UPDATE SET touched_at = excluded.touched_at,
				size = MAX(content.size, excluded.size), stored = MAX(content.stored, excluded.stored)
			RETURNING id`, projectID, h, c.Size, c.Stored, ms(now)).Scan(&id); err != nil {
			return nil, fmt.Errorf("content %s: %w", c.Hash, err)
		}
		ids[c.Hash] = id
	}
	return ids, nil
}

// NumberContent records stored content items and returns their ids, before a compaction
// writes segments that name them by id. The rows' touched time keeps the sweep off them until
// the compaction commits its references (or, if it never does, for the grace period).
func (db *DB) NumberContent(ctx context.Context, projectID string, refs []store.ContentRef, now time.Time) (map[string]int64, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: number content: %w", err)
	}
	defer tx.Rollback()
	ids, err := numberContent(ctx, tx, projectID, refs, now)
	if err != nil {
		return nil, fmt.Errorf("sqlite: number content: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: number content: %w", err)
	}
	return ids, nil
}

// ContentHashes returns the hashes of the project's content items with these ids, in one query.
func (db *DB) ContentHashes(ctx context.Context, projectID string, ids []int64) (map[int64]string, error) {
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("sqlite: content hashes: %w", err)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, hash FROM content WHERE project_id = ? AND id IN (SELECT value FROM json_each(?))`, projectID, string(list))
	if err != nil {
		return nil, fmt.Errorf("sqlite: content hashes: %w", err)
	}
	defer rows.Close()
	out := make(map[int64]string, len(ids))
	for rows.Next() {
		var id int64
		var h []byte
		if err := rows.Scan(&id, &h); err != nil {
			return nil, fmt.Errorf("sqlite: content hashes: %w", err)
		}
		out[id] = hex.EncodeToString(h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: content hashes: %w", err)
	}
	return out, nil
}

// MissingContent returns the hashes the project has no content for.
func (db *DB) MissingContent(ctx context.Context, projectID string, hashes []string) ([]string, error) {
	var missing []string
	for _, h := range hashes {
		hb, err := hashBytes(h)
		if err != nil {
			return nil, fmt.Errorf("sqlite: missing content: %w", err)
		}
		var one int
		err = db.read.QueryRowContext(ctx, `SELECT 1 FROM content WHERE project_id = ? AND hash = ?`, projectID, hb).Scan(&one)
		if err == sql.ErrNoRows {
			missing = append(missing, h)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("sqlite: missing content: %w", err)
		}
	}
	return missing, nil
}

// Segments lists a compacted session's segments, by tab and index.
func (db *DB) Segments(ctx context.Context, sessionID string) ([]store.Segment, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT blob_key, data FROM segments WHERE session_id = ?`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: segments %s: %w", sessionID, err)
	}
	defer rows.Close()
	var out []store.Segment
	for rows.Next() {
		var key string
		var data []byte
		if err := rows.Scan(&key, &data); err != nil {
			return nil, fmt.Errorf("sqlite: segments %s: %w", sessionID, err)
		}
		segs, err := unpackSegments(sessionID, key, data)
		if err != nil {
			return nil, fmt.Errorf("sqlite: segments %s: %w", sessionID, err)
		}
		out = append(out, segs...)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: segments %s: %w", sessionID, err)
	}
	sortSegments(out)
	return out, nil
}

// IdleSessions finds sessions with uncompacted chunks that have been quiet since idleBefore.
func (db *DB) IdleSessions(ctx context.Context, idleBefore time.Time, limit int) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id FROM sessions s
		WHERE last_batch_at < ? AND last_batch_at > compacted_at
		ORDER BY last_batch_at LIMIT ?`, ms(idleBefore), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: idle sessions: %w", err)
	}
	return scanIDs(rows)
}

func scanIDs(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ClaimSession leases a session for compaction, on the database's clock.
func (db *DB) ClaimSession(ctx context.Context, id string, lease time.Duration) (bool, error) {
	res, err := db.write.ExecContext(ctx, `UPDATE sessions SET lease_until = CAST(unixepoch('subsec') * 1000 AS INTEGER) + ?
		WHERE id = ? AND lease_until < CAST(unixepoch('subsec') * 1000 AS INTEGER)`, lease.Milliseconds(), id)
	if err != nil {
		return false, fmt.Errorf("sqlite: claim %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// CommitCompaction swaps a session's chunks for segments in one transaction.
func (db *DB) CommitCompaction(ctx context.Context, c store.Compaction) ([]string, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: compaction: %w", err)
	}
	defer tx.Rollback()
	var projectID string
	if err := tx.QueryRowContext(ctx, `SELECT project_id FROM sessions WHERE id = ?`, c.SessionID).Scan(&projectID); err != nil {
		return nil, fmt.Errorf("sqlite: compaction %s: %w", c.SessionID, err)
	}
	obsolete := map[string]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT blob_key FROM segments WHERE session_id = ?`, c.SessionID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: compaction: %w", err)
	}
	keys, err := scanIDs(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: compaction: %w", err)
	}
	for _, k := range keys {
		obsolete[k] = true
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM segments WHERE session_id = ?`, c.SessionID); err != nil {
		return nil, fmt.Errorf("sqlite: compaction: %w", err)
	}
	// One row per blob, its segments in the order Segments returns them.
	byKey := map[string][]store.Segment{}
	var keyOrder []string
	for _, g := range c.Segments {
		delete(obsolete, g.BlobKey)
		if _, ok := byKey[g.BlobKey]; !ok {
			keyOrder = append(keyOrder, g.BlobKey)
		}
		byKey[g.BlobKey] = append(byKey[g.BlobKey], g)
	}
	for _, k := range keyOrder {
		segs := byKey[k]
		sortSegments(segs)
		if _, err := tx.ExecContext(ctx, `INSERT INTO segments(session_id, blob_key, data) VALUES (?, ?, ?)`, c.SessionID, k, packSegments(segs)); err != nil {
			return nil, fmt.Errorf("sqlite: compaction: insert segments: %w", err)
		}
	}
	for _, ch := range c.Chunks {
		res, err := tx.ExecContext(ctx, `UPDATE chunks SET compacted = 1, blob_key = '' WHERE session_id = ? AND tab = ? AND seq = ? AND compacted = 0`, c.SessionID, ch.Tab, ch.Seq)
		if err != nil {
			return nil, fmt.Errorf("sqlite: compaction: mark chunk: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 && ch.BlobKey != "" {
			obsolete[ch.BlobKey] = true
		}
	}
	if err := addContent(ctx, tx, projectID, c.SessionID, c.Content, c.At); err != nil {
		return nil, fmt.Errorf("sqlite: compaction: %w", err)
	}
	// A batch that landed after the worker read the chunks is not in c.Chunks, and its
	// last_batch_at (its ingest time) is before c.At: setting compacted_at to c.At would hide it
	// from IdleSessions for good, its events never compacted nor analysed (its clicks missing
	// from heatmaps). While such a chunk is left, compacted_at stays below last_batch_at so the
	// next pass takes the session; once none is, it is at least last_batch_at.
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET lease_until = 0, compacted_at = CASE
			WHEN EXISTS (SELECT 1 FROM chunks WHERE session_id = ?2 AND compacted = 0) THEN MIN(compacted_at, last_batch_at - 1)
			ELSE MAX(?1, last_batch_at) END
		WHERE id = ?2`, ms(c.At), c.SessionID); err != nil {
		return nil, fmt.Errorf("sqlite: compaction: %w", err)
	}
	out, err := unreferenced(ctx, tx, obsolete)
	if err != nil {
		return nil, fmt.Errorf("sqlite: compaction: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: compaction: commit: %w", err)
	}
	return out, nil
}

// unreferenced keeps the candidate blob keys that no chunk or segment points at any more: a
// pack of chunks is shared by the sessions ingested together.
func unreferenced(ctx context.Context, tx *sql.Tx, candidates map[string]bool) ([]string, error) {
	var out []string
	// In key order, so callers (and their logs) see the same answer for the same data.
	for _, k := range slices.Sorted(maps.Keys(candidates)) {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM chunks WHERE blob_key = ?1 UNION ALL SELECT 1 FROM segments WHERE blob_key = ?1 LIMIT 1`, k).Scan(&one)
		if err == sql.ErrNoRows {
			out = append(out, k)
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ExpiredSessions finds sessions past their project's retention.
func (db *DB) ExpiredSessions(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT s.id FROM sessions s JOIN projects p ON p.id = s.project_id
		WHERE p.retention_days > 0 AND s.ended_at < ? - p.retention_days * 86400000 LIMIT ?`, ms(now), limit)
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
		rows, err := db.read.QueryContext(ctx, `SELECT DISTINCT o.session_id FROM chunks c JOIN chunks o ON o.blob_key = c.blob_key
			WHERE c.session_id = ? AND c.blob_key <> '' AND o.session_id <> c.session_id`, id)
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

// SessionsOfUser finds a user's sessions in a project.
func (db *DB) SessionsOfUser(ctx context.Context, projectID, userID string) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id FROM sessions WHERE project_id = ? AND user_id = ? AND user_id <> ''`, projectID, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: sessions of user: %w", err)
	}
	return scanIDs(rows)
}

// DeleteSessions removes sessions and everything indexed under them.
func (db *DB) DeleteSessions(ctx context.Context, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: delete sessions: %w", err)
	}
	defer tx.Rollback()
	candidates := map[string]bool{}
	pieces := map[int64]bool{}
	for _, id := range ids {
		text, err := sessionPieces(ctx, tx, id)
		if err != nil {
			return nil, fmt.Errorf("sqlite: delete sessions: text: %w", err)
		}
		for _, p := range text {
			pieces[p] = true
		}
		rows, err := tx.QueryContext(ctx, `SELECT blob_key FROM chunks WHERE session_id = ?1 AND blob_key <> ''
			UNION SELECT blob_key FROM segments WHERE session_id = ?1`, id)
		if err != nil {
			return nil, fmt.Errorf("sqlite: delete sessions: %w", err)
		}
		k, err := scanIDs(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: delete sessions: %w", err)
		}
		for _, key := range k {
			candidates[key] = true
		}
		for _, q := range []string{`DELETE FROM session_content WHERE session_id = ?`, `DELETE FROM segments WHERE session_id = ?`,
			`DELETE FROM chunks WHERE session_id = ?`, `DELETE FROM session_pages WHERE session_id = ?`, `DELETE FROM sessions WHERE id = ?`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return nil, fmt.Errorf("sqlite: delete session %s: %w", id, err)
			}
		}
	}
	keys, err := unreferenced(ctx, tx, candidates)
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
	// The ids ingest remembers may name dropped pieces now (and be reused). The reset comes
	// before the commit, while this transaction holds the only write connection.
	db.text.reset()
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: delete sessions: commit: %w", err)
	}
	return keys, nil
}

// SweepContent deletes content no session reaches and returns it. It marks what the sessions'
// roots reach through the edges, then deletes the rest that is past its grace period, and the
// edges of what it deleted, in one transaction, so no new item takes a deleted one's id while
// an edge still names it.
func (db *DB) SweepContent(ctx context.Context, touchedBefore time.Time) ([]store.ContentKey, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: sweep content: %w", err)
	}
	defer tx.Rollback()
	live := map[int64]bool{}
	var queue []int64
	rows, err := tx.QueryContext(ctx, `SELECT ids FROM session_content`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: sweep content: %w", err)
	}
	for rows.Next() {
		var packed []byte
		if err := rows.Scan(&packed); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: sweep content: %w", err)
		}
		ids, err := unpackIDs(packed)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: sweep content: %w", err)
		}
		for _, id := range ids {
			if !live[id] {
				live[id] = true
				queue = append(queue, id)
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: sweep content: %w", err)
	}
	children := map[int64][]int64{}
	rows, err = tx.QueryContext(ctx, `SELECT parent, child FROM content_children`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: sweep content: edges: %w", err)
	}
	for rows.Next() {
		var p, c int64
		if err := rows.Scan(&p, &c); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: sweep content: edges: %w", err)
		}
		children[p] = append(children[p], c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: sweep content: edges: %w", err)
	}
	for len(queue) > 0 {
		id := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, c := range children[id] {
			if !live[c] {
				live[c] = true
				queue = append(queue, c)
			}
		}
	}

	type item struct {
		id  int64
		key store.ContentKey
	}
	var dead []item
	rows, err = tx.QueryContext(ctx, `SELECT id, project_id, hash FROM content WHERE touched_at < ? ORDER BY id`, ms(touchedBefore))
	if err != nil {
		return nil, fmt.Errorf("sqlite: sweep content: %w", err)
	}
	for rows.Next() {
		var it item
		var h []byte
		if err := rows.Scan(&it.id, &it.key.ProjectID, &h); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: sweep content: %w", err)
		}
		if !live[it.id] {
			it.key.Hash = hex.EncodeToString(h)
			dead = append(dead, it)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: sweep content: %w", err)
	}
	out := make([]store.ContentKey, 0, len(dead))
	for _, it := range dead {
		if _, err := tx.ExecContext(ctx, `DELETE FROM content WHERE id = ?`, it.id); err != nil {
			return nil, fmt.Errorf("sqlite: sweep content: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM content_children WHERE parent = ?`, it.id); err != nil {
			return nil, fmt.Errorf("sqlite: sweep content edges: %w", err)
		}
		out = append(out, it.key)
	}
	// Edges into deleted items (a child may go before its parent, which is within its grace
	// period).
	if len(dead) > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM content_children WHERE child NOT IN (SELECT id FROM content)`); err != nil {
			return nil, fmt.Errorf("sqlite: sweep content edges: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: sweep content: commit: %w", err)
	}
	return out, nil
}

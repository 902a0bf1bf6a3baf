package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/reelhq/reel/internal/store"
)

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
		ORDER BY last_batch_at, id LIMIT ?`, ms(idleBefore), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: idle sessions: %w", err)
	}
	return scanIDs(rows)
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

// CommitCompaction swaps a session's chunks for segments in one transaction, and returns the
// blobs whose last reference it removed (blobRefs).
func (db *DB) CommitCompaction(ctx context.Context, c store.Compaction) ([]string, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: compaction: %w", err)
	}
	defer tx.Rollback()
	// The session's row first (on PostgreSQL, SELECT … FOR UPDATE): a deletion of the session
	// takes it first too, so the two cannot interleave, and a deleted session fails here.
	var projectID string
	var leased bool
	if err := tx.QueryRowContext(ctx, `SELECT project_id, lease_until > CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM sessions WHERE id = ?`,
		c.SessionID).Scan(&projectID, &leased); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			err = store.ErrNotFound
		}
		return nil, fmt.Errorf("sqlite: compaction %s: %w", c.SessionID, err)
	}
	// The lease fences workers: while it runs nobody else can claim the session, so a worker
	// still holding it is the only one compacting. One whose lease ran out (a stalled node) may
	// have been overtaken by another that compacted batches it never read; its commit would
	// drop those batches' events, so it fails and changes nothing.
	if !leased {
		return nil, fmt.Errorf("sqlite: compaction %s: lease expired: %w", c.SessionID, store.ErrConflict)
	}
	refs := blobRefs{}
	rows, err := tx.QueryContext(ctx, `SELECT blob_key FROM segments WHERE session_id = ?`, c.SessionID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: compaction: %w", err)
	}
	keys, err := scanIDs(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: compaction: %w", err)
	}
	for _, k := range keys {
		refs.add(k, -1)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM segments WHERE session_id = ?`, c.SessionID); err != nil {
		return nil, fmt.Errorf("sqlite: compaction: %w", err)
	}
	// One row per blob, its segments in the order Segments returns them.
	byKey := map[string][]store.Segment{}
	var keyOrder []string
	for _, g := range c.Segments {
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
		refs.add(k, 1)
	}
	// A chunk's reference goes with the pack key its row held, whatever the caller read.
	packs := map[string]string{}
	rows, err = tx.QueryContext(ctx, `SELECT tab, seq, blob_key FROM chunks WHERE session_id = ? AND compacted = 0`, c.SessionID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: compaction: chunks: %w", err)
	}
	for rows.Next() {
		var tab, key string
		var seq int64
		if err := rows.Scan(&tab, &seq, &key); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: compaction: chunks: %w", err)
		}
		packs[chunkID(tab, seq)] = key
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: compaction: chunks: %w", err)
	}
	for _, ch := range c.Chunks {
		res, err := tx.ExecContext(ctx, `UPDATE chunks SET compacted = 1, blob_key = '' WHERE session_id = ? AND tab = ? AND seq = ? AND compacted = 0`, c.SessionID, ch.Tab, ch.Seq)
		if err != nil {
			return nil, fmt.Errorf("sqlite: compaction: mark chunk: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			refs.add(packs[chunkID(ch.Tab, ch.Seq)], -1)
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
	out, err := refs.apply(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: compaction: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: compaction: commit: %w", err)
	}
	return out, nil
}

// chunkID names a chunk within its session.
func chunkID(tab string, seq int64) string { return tab + "/" + strconv.FormatInt(seq, 10) }

package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
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
				// what tells ingest the item is stored. One it has is touched, as every item
				// gaining a reference is, so a sweep running now keeps it.
				if err := tx.QueryRowContext(ctx, `UPDATE content SET touched_at = MAX(touched_at, ?) WHERE project_id = ? AND hash = ? RETURNING id`, ms(now), projectID, hb).Scan(&ch); err != nil {
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
// An item that carries its id was recorded moments ago (NumberContent): it is only touched, and
// numberContent fails if it is gone.
func numberContent(ctx context.Context, tx querier, projectID string, refs []store.ContentRef, now time.Time) (map[string]int64, error) {
	ids := make(map[string]int64, len(refs))
	for _, c := range refs {
		h, err := hashBytes(c.Hash)
		if err != nil {
			return nil, err
		}
		if c.ID != 0 {
			// The item was numbered in an earlier transaction, and a sweep (an erasure sweeps
			// without a grace period) may have deleted it since: touching it here, in the
			// transaction that adds the reference, both checks it is still the item with that
			// number and keeps the sweep's conditional delete off it from now on.
			res, err := tx.ExecContext(ctx, `UPDATE content SET touched_at = MAX(touched_at, ?) WHERE id = ? AND project_id = ? AND hash = ?`, ms(now), c.ID, projectID, h)
			if err != nil {
				return nil, fmt.Errorf("content %s: %w", c.Hash, err)
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				return nil, fmt.Errorf("content %s (number %d) was swept before it was referenced: %w", c.Hash, c.ID, store.ErrNotFound)
			}
			ids[c.Hash] = c.ID
			continue
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
	for _, it := range parentsFirst(dead, children, func(it item) int64 { return it.id }) {
		// Deleted only if still unreferenced now: not touched since the mark (every
		// transaction that adds a reference to an item touches it, and on PostgreSQL the
		// touch's row lock makes this statement re-read the row), and named by no edge of a
		// parent that stays (one within its grace period, or one whose own delete was just
		// skipped). Only the statement that deleted the row reports it, so two sweeps at once
		// report each item once.
		var h []byte
		err := tx.QueryRowContext(ctx, `DELETE FROM content WHERE id = ? AND touched_at < ?
			AND NOT EXISTS (SELECT 1 FROM content_children e WHERE e.child = content.id) RETURNING hash`, it.id, ms(touchedBefore)).Scan(&h)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("sqlite: sweep content: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM content_children WHERE parent = ?`, it.id); err != nil {
			return nil, fmt.Errorf("sqlite: sweep content edges: %w", err)
		}
		out = append(out, it.key)
	}
	// Edges into items deleted before edges were checked (none should be left; this keeps an
	// index written by an older version tidy).
	if len(out) > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM content_children WHERE child NOT IN (SELECT id FROM content)`); err != nil {
			return nil, fmt.Errorf("sqlite: sweep content edges: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: sweep content: commit: %w", err)
	}
	return out, nil
}

// parentsFirst orders items so that every parent comes before its children among them
// (children: each item's children by id), and otherwise by id: deleting a parent removes the
// edges that would keep its children.
func parentsFirst[T any](items []T, children map[int64][]int64, id func(T) int64) []T {
	byID := make(map[int64]T, len(items))
	for _, it := range items {
		byID[id(it)] = it
	}
	parents := make(map[int64]int, len(items))
	for _, it := range items {
		for _, c := range children[id(it)] {
			if _, ok := byID[c]; ok {
				parents[c]++
			}
		}
	}
	var ready []int64
	for _, it := range items {
		if parents[id(it)] == 0 {
			ready = append(ready, id(it))
		}
	}
	out := make([]T, 0, len(items))
	for len(ready) > 0 {
		slices.Sort(ready)
		next := ready[0]
		ready = ready[1:]
		out = append(out, byID[next])
		for _, c := range children[next] {
			if _, ok := byID[c]; !ok {
				continue
			}
			if parents[c]--; parents[c] == 0 {
				ready = append(ready, c)
			}
		}
	}
	return out
}

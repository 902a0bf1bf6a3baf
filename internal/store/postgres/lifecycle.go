package postgres

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/internal/store"
)

func hashBytes(h string) ([]byte, error) {
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("invalid content hash %q", h)
	}
	return b, nil
}

// numberContent inserts or refreshes the rows of stored content items, in hash order (the lock
// order of concurrent writers), and returns their ids. An item that carries its id was
// recorded moments ago (NumberContent) and is not written again.
func numberContent(ctx context.Context, tx querier, projectID string, refs []store.ContentRef, now time.Time) (map[string]int64, error) {
	ids := make(map[string]int64, len(refs))
	type item struct {
		hash         []byte
		names        []string // the hash as the refs spelled it
		size, stored int
		number       int64 // the number an earlier transaction gave it; 0 if none
	}
	byHash := map[string]*item{}
	for _, c := range refs {
		h, err := hashBytes(c.Hash)
		if err != nil {
			return nil, err
		}
		key := string(h)
		it := byHash[key]
		if it == nil {
			it = &item{hash: h}
			byHash[key] = it
		}
		if !slices.Contains(it.names, c.Hash) {
			it.names = append(it.names, c.Hash)
		}
		it.size, it.stored = max(it.size, c.Size), max(it.stored, c.Stored)
		if c.ID != 0 {
			it.number = c.ID
		}
	}
	if len(byHash) == 0 {
		return ids, nil
	}
	items := make([]*item, 0, len(byHash))
	for _, it := range byHash {
		items = append(items, it)
	}
	slices.SortFunc(items, func(a, b *item) int { return bytes.Compare(a.hash, b.hash) })
	hashes, sizes, stored := make([][]byte, len(items)), make([]int64, len(items)), make([]int64, len(items))
	for i, it := range items {
		hashes[i], sizes[i], stored[i] = it.hash, int64(it.size), int64(it.stored)
	}
	rows, err := tx.Query(ctx, `INSERT INTO content(project_id, hash, size, stored, touched_at)
		SELECT $1, h, sz, st, $5 FROM unnest($2::bytea[], $3::bigint[], $4::bigint[]) AS u(h, sz, st) ORDER BY h
		ON CONFLICT (project_id, hash) DO UPDATE SET touched_at = excluded.touched_at,
			size = GREATEST(content.size, excluded.size), stored = GREATEST(content.stored, excluded.stored)
		RETURNING hash, id`, projectID, hashes, sizes, stored, ms(now))
	if err != nil {
		return nil, fmt.Errorf("content: %w", err)
	}
	for rows.Next() {
		var h []byte
		var id int64
		if err := rows.Scan(&h, &id); err != nil {
			return nil, fmt.Errorf("content: %w", err)
		}
		if it := byHash[string(h)]; it != nil {
			// An item numbered in an earlier transaction is upserted (touched) with the rest,
			// in the one hash order every writer takes content rows in. If a sweep deleted it
			// since (an erasure sweeps without a grace period), the upsert made a new row with
			// another number: segments naming the old one would name nothing, so the caller's
			// transaction fails and its rollback removes the new row.
			if it.number != 0 && it.number != id {
				rows.Close()
				return nil, fmt.Errorf("content %x (number %d) was swept before it was referenced: %w", h, it.number, store.ErrNotFound)
			}
			for _, name := range it.names {
				ids[name] = id
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("content: %w", err)
	}
	return ids, nil
}

// addEdges records the child edges of content items numbered by ids, in (parent, child) order,
// the lock order of concurrent writers. A child is one of the numbered items or an item the
// project already has.
func addEdges(ctx context.Context, tx querier, projectID string, refs []store.ContentRef, ids map[string]int64) error {
	type edge struct{ parent, child int64 }
	var edges []edge
	for _, c := range refs {
		parent, ok := ids[c.Hash]
		if !ok {
			parent = c.ID
		}
		for _, child := range c.Children {
			ch, ok := ids[child]
			if !ok {
				hb, err := hashBytes(child)
				if err != nil {
					return err
				}
				// An item the project does not have is never given a row here: a row is
				// what tells ingest the item is stored.
				if err := tx.QueryRow(ctx, `SELECT id FROM content WHERE project_id = $1 AND hash = $2`, projectID, hb).Scan(&ch); err != nil {
					return fmt.Errorf("content edge %s -> %s: %w", c.Hash, child, err)
				}
				ids[child] = ch
			}
			edges = append(edges, edge{parent, ch})
		}
	}
	if len(edges) == 0 {
		return nil
	}
	slices.SortFunc(edges, func(a, b edge) int { return cmp.Or(cmp.Compare(a.parent, b.parent), cmp.Compare(a.child, b.child)) })
	edges = slices.Compact(edges)
	parents, children := make([]int64, len(edges)), make([]int64, len(edges))
	for i, e := range edges {
		parents[i], children[i] = e.parent, e.child
	}
	if _, err := tx.Exec(ctx, `INSERT INTO content_children(parent, child) SELECT * FROM unnest($1::bigint[], $2::bigint[]) ORDER BY 1, 2 ON CONFLICT DO NOTHING`, parents, children); err != nil {
		return fmt.Errorf("content edges: %w", err)
	}
	return nil
}

// addRootsSQL adds content ids ($2) to a session's ($1) roots.
const addRootsSQL = `INSERT INTO session_content(session_id, content_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING`

// rootIDs are the ids of the items of refs marked Root, numbered by ids (or carrying their own).
func rootIDs(refs []store.ContentRef, ids map[string]int64) []int64 {
	var roots []int64
	for _, c := range refs {
		if !c.Root {
			continue
		}
		if c.ID != 0 {
			roots = append(roots, c.ID)
		} else {
			roots = append(roots, ids[c.Hash])
		}
	}
	slices.Sort(roots)
	return slices.Compact(roots)
}

// addRoots adds the items of refs marked Root to the session's roots; its session row is
// locked by now.
func addRoots(ctx context.Context, tx querier, sessionID string, refs []store.ContentRef, ids map[string]int64) error {
	roots := rootIDs(refs, ids)
	if len(roots) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, addRootsSQL, sessionID, roots); err != nil {
		return fmt.Errorf("content refs: %w", err)
	}
	return nil
}

// numberAndLink numbers content items and records their edges: what a writer does before it
// locks the session whose roots they become.
func numberAndLink(ctx context.Context, tx querier, projectID string, refs []store.ContentRef, now time.Time) (map[string]int64, error) {
	ids, err := numberContent(ctx, tx, projectID, refs, now)
	if err != nil {
		return nil, err
	}
	return ids, addEdges(ctx, tx, projectID, refs, ids)
}

// NumberContent records stored content items and returns their ids.
func (db *DB) NumberContent(ctx context.Context, projectID string, refs []store.ContentRef, now time.Time) (map[string]int64, error) {
	var ids map[string]int64
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var err error
		ids, err = numberContent(ctx, tx, projectID, refs, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: number content: %w", err)
	}
	return ids, nil
}

// ContentHashes returns the hashes of the project's content items with these ids.
func (db *DB) ContentHashes(ctx context.Context, projectID string, ids []int64) (map[int64]string, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, hash FROM content WHERE project_id = $1 AND id = ANY($2)`, projectID, ids)
	if err != nil {
		return nil, fmt.Errorf("postgres: content hashes: %w", err)
	}
	defer rows.Close()
	out := make(map[int64]string, len(ids))
	for rows.Next() {
		var id int64
		var h []byte
		if err := rows.Scan(&id, &h); err != nil {
			return nil, fmt.Errorf("postgres: content hashes: %w", err)
		}
		out[id] = hex.EncodeToString(h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: content hashes: %w", err)
	}
	return out, nil
}

// MissingContent returns the hashes the project has no content for, in the order given.
func (db *DB) MissingContent(ctx context.Context, projectID string, hashes []string) ([]string, error) {
	bs := make([][]byte, len(hashes))
	for i, h := range hashes {
		b, err := hashBytes(h)
		if err != nil {
			return nil, fmt.Errorf("postgres: missing content: %w", err)
		}
		bs[i] = b
	}
	rows, err := db.pool.Query(ctx, `SELECT hash FROM content WHERE project_id = $1 AND hash = ANY($2)`, projectID, bs)
	if err != nil {
		return nil, fmt.Errorf("postgres: missing content: %w", err)
	}
	have, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return nil, fmt.Errorf("postgres: missing content: %w", err)
	}
	found := map[string]bool{}
	for _, h := range have {
		found[hex.EncodeToString(h)] = true
	}
	var missing []string
	for i, h := range hashes {
		if !found[hex.EncodeToString(bs[i])] {
			missing = append(missing, h)
		}
	}
	return missing, nil
}

// Segments lists a compacted session's segments, by tab and index.
func (db *DB) Segments(ctx context.Context, sessionID string) ([]store.Segment, error) {
	rows, err := db.pool.Query(ctx, `SELECT session_id, tab, idx, first_at, last_at, blob_key, "offset", length, events, raw_bytes
		FROM segments WHERE session_id = $1 ORDER BY tab, idx`, clean(sessionID))
	if err != nil {
		return nil, fmt.Errorf("postgres: segments %s: %w", sessionID, err)
	}
	defer rows.Close()
	var out []store.Segment
	for rows.Next() {
		var g store.Segment
		var first, last int64
		if err := rows.Scan(&g.SessionID, &g.Tab, &g.Index, &first, &last, &g.BlobKey, &g.Offset, &g.Length, &g.Events, &g.RawBytes); err != nil {
			return nil, fmt.Errorf("postgres: segments %s: %w", sessionID, err)
		}
		g.FirstAt, g.LastAt = fromMS(first), fromMS(last)
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: segments %s: %w", sessionID, err)
	}
	return out, nil
}

// IdleSessions finds sessions with uncompacted chunks that have been quiet since idleBefore.
func (db *DB) IdleSessions(ctx context.Context, idleBefore time.Time, limit int) ([]string, error) {
	ids, err := scanIDs(db.pool.Query(ctx, `SELECT id FROM sessions
		WHERE last_batch_at < $1 AND last_batch_at > compacted_at
		ORDER BY last_batch_at, id LIMIT $2`, ms(idleBefore), limit))
	if err != nil {
		return nil, fmt.Errorf("postgres: idle sessions: %w", err)
	}
	return ids, nil
}

// nowMS is the database's clock in milliseconds: leases compare with it, never with a node's.
const nowMS = `(extract(epoch FROM clock_timestamp()) * 1000)::bigint`

// ClaimSession leases a session for compaction, on the database's clock.
func (db *DB) ClaimSession(ctx context.Context, id string, lease time.Duration) (bool, error) {
	tag, err := db.pool.Exec(ctx, `UPDATE sessions SET lease_until = `+nowMS+` + $1
		WHERE id = $2 AND lease_until < `+nowMS, lease.Milliseconds(), clean(id))
	if err != nil {
		return false, fmt.Errorf("postgres: claim %s: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}

// CommitCompaction swaps a session's chunks for segments in one transaction.
func (db *DB) CommitCompaction(ctx context.Context, c store.Compaction) ([]string, error) {
	c.SessionID = clean(c.SessionID)
	var out []string
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// Content rows first, then the session's: the lock order ingest follows.
		var projectID string
		if err := tx.QueryRow(ctx, `SELECT project_id FROM sessions WHERE id = $1`, c.SessionID).Scan(&projectID); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				err = store.ErrNotFound
			}
			return fmt.Errorf("%s: %w", c.SessionID, err)
		}
		ids, err := numberAndLink(ctx, tx, projectID, c.Content, c.At)
		if err != nil {
			return err
		}
		// The lease fences workers, as in SQLite: one whose lease ran out (a stalled node) may
		// have been overtaken by another that compacted batches it never read, so its commit
		// fails and changes nothing. The session row's lock makes the check and the commit one.
		var leased bool
		if err := tx.QueryRow(ctx, `SELECT lease_until > `+nowMS+` FROM sessions WHERE id = $1 FOR UPDATE`, c.SessionID).Scan(&leased); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				err = store.ErrNotFound
			}
			return fmt.Errorf("%s: %w", c.SessionID, err)
		}
		if !leased {
			return fmt.Errorf("%s: lease expired: %w", c.SessionID, store.ErrConflict)
		}
		refs := blobRefs{}
		keys, err := scanIDs(tx.Query(ctx, `SELECT DISTINCT blob_key FROM segments WHERE session_id = $1`, c.SessionID))
		if err != nil {
			return err
		}
		for _, k := range keys {
			refs.add(k, -1)
		}
		// A chunk's reference goes with the pack key its row holds, whatever the caller read;
		// the session row's lock keeps ingest from adding chunks meanwhile.
		packs := map[string]string{}
		rows, err := tx.Query(ctx, `SELECT tab, seq, blob_key FROM chunks WHERE session_id = $1 AND NOT compacted`, c.SessionID)
		if err != nil {
			return fmt.Errorf("chunks: %w", err)
		}
		for rows.Next() {
			var tab, key string
			var seq int64
			if err := rows.Scan(&tab, &seq, &key); err != nil {
				rows.Close()
				return fmt.Errorf("chunks: %w", err)
			}
			packs[fmt.Sprintf("%s/%d", tab, seq)] = key
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("chunks: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM segments WHERE session_id = $1`, c.SessionID); err != nil {
			return err
		}
		if len(c.Segments) > 0 {
			n := len(c.Segments)
			tabs, idx, first, last, blob, off, length, events, raw := make([]string, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]string, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
			added := map[string]bool{}
			for i, g := range c.Segments {
				if !added[g.BlobKey] {
					added[g.BlobKey] = true
					refs.add(g.BlobKey, 1)
				}
				tabs[i], idx[i], first[i], last[i], blob[i] = clean(g.Tab), int64(g.Index), ms(g.FirstAt), ms(g.LastAt), g.BlobKey
				off[i], length[i], events[i], raw[i] = g.Offset, g.Length, int64(g.Events), int64(g.RawBytes)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO segments(session_id, tab, idx, first_at, last_at, blob_key, "offset", length, events, raw_bytes)
				SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[])`,
				c.SessionID, tabs, idx, first, last, blob, off, length, events, raw); err != nil {
				return fmt.Errorf("insert segments: %w", err)
			}
		}
		for _, ch := range c.Chunks {
			tag, err := tx.Exec(ctx, `UPDATE chunks SET compacted = true, blob_key = '' WHERE session_id = $1 AND tab = $2 AND seq = $3 AND NOT compacted`, c.SessionID, clean(ch.Tab), ch.Seq)
			if err != nil {
				return fmt.Errorf("mark chunk: %w", err)
			}
			if tag.RowsAffected() == 1 {
				refs.add(packs[fmt.Sprintf("%s/%d", clean(ch.Tab), ch.Seq)], -1)
			}
		}
		if err := addRoots(ctx, tx, c.SessionID, c.Content, ids); err != nil {
			return err
		}
		// As in SQLite: while a chunk that landed after the worker read the chunks is left,
		// compacted_at stays below last_batch_at so the next pass takes the session.
		if _, err := tx.Exec(ctx, `UPDATE sessions SET lease_until = 0, compacted_at = CASE
				WHEN EXISTS (SELECT 1 FROM chunks WHERE session_id = $2 AND NOT compacted) THEN LEAST(compacted_at, last_batch_at - 1)
				ELSE GREATEST($1::bigint, last_batch_at) END
			WHERE id = $2`, ms(c.At), c.SessionID); err != nil {
			return err
		}
		out, err = refs.apply(ctx, tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: compaction %s: %w", c.SessionID, err)
	}
	return out, nil
}

// ExpiredSessions finds sessions past their project's retention, by when the server received
// them (store.Store.ExpiredSessions).
func (db *DB) ExpiredSessions(ctx context.Context, now time.Time, limit int) ([]string, error) {
	ids, err := scanIDs(db.pool.Query(ctx, `SELECT s.id FROM sessions s JOIN projects p ON p.id = s.project_id
		WHERE p.retention_days > 0
		AND CASE WHEN s.last_batch_at > 0 THEN s.last_batch_at ELSE s.updated_at END < $1 - p.retention_days * 86400000::bigint LIMIT $2`, ms(now), limit))
	if err != nil {
		return nil, fmt.Errorf("postgres: expired sessions: %w", err)
	}
	return ids, nil
}

// SessionsSharingBlobs finds sessions whose uncompacted chunks sit in the same packs as ids'.
func (db *DB) SessionsSharingBlobs(ctx context.Context, ids []string) ([]string, error) {
	seen := map[string]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	var out []string
	for _, id := range ids {
		others, err := scanIDs(db.pool.Query(ctx, `SELECT o.session_id FROM chunks c JOIN chunks o ON o.blob_key = c.blob_key
			WHERE c.session_id = $1 AND c.blob_key <> '' AND o.session_id <> c.session_id
			UNION
			SELECT o.session_id FROM chunks o
			WHERE o.blob_key <> '' AND NOT o.compacted AND o.session_id <> $1
			AND EXISTS (SELECT 1 FROM chunks c WHERE c.session_id = $1 AND c.compacted AND o.created_at BETWEEN c.created_at - $2 AND c.created_at + $2)
			ORDER BY 1`, clean(id), store.PackWindow.Milliseconds()))
		if err != nil {
			return nil, fmt.Errorf("postgres: sessions sharing blobs: %w", err)
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
	ids, err := scanIDs(db.pool.Query(ctx, `SELECT s.id FROM session_users u JOIN sessions s ON s.id = u.session_id
		WHERE u.user_id = $2 AND u.user_id <> '' AND s.project_id = $1 ORDER BY s.id`, clean(projectID), clean(userID)))
	if err != nil {
		return nil, fmt.Errorf("postgres: sessions of user: %w", err)
	}
	return ids, nil
}

// DeleteSessions removes sessions and everything indexed under them, and what was stored once
// for all sessions (error messages, on-screen text, heatmap paths) that only they used.
func (db *DB) DeleteSessions(ctx context.Context, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ids = cleanAll(ids)
	slices.Sort(ids) // the lock order of ingest
	var keys []string
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// What is stored once for all sessions goes when no session uses it any more; ingest
		// (and SaveHeat) may be about to use it again, having looked it up by value, so they
		// hold this lock shared for their transactions and deletion waits for them.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, sharedRowsLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT 1 FROM sessions WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT DISTINCT unnest(pieces) FROM session_text_refs WHERE session_id = ANY($1)`, ids)
		if err != nil {
			return fmt.Errorf("text: %w", err)
		}
		pieces, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("text: %w", err)
		}
		// Every reference the sessions hold: each chunk row's, and one per session and object
		// of its segments.
		refs := blobRefs{}
		rows, err = tx.Query(ctx, `SELECT blob_key, COUNT(*) FROM chunks WHERE session_id = ANY($1) AND blob_key <> '' GROUP BY blob_key
			UNION ALL SELECT blob_key, COUNT(DISTINCT session_id) FROM segments WHERE session_id = ANY($1) GROUP BY blob_key`, ids)
		if err != nil {
			return fmt.Errorf("blob references: %w", err)
		}
		for rows.Next() {
			var key string
			var n int
			if err := rows.Scan(&key, &n); err != nil {
				rows.Close()
				return fmt.Errorf("blob references: %w", err)
			}
			refs.add(key, -n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("blob references: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id = ANY($1)`, ids); err != nil {
			return err
		}
		if keys, err = refs.apply(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM error_messages m WHERE NOT EXISTS (SELECT 1 FROM session_errors WHERE message_id = m.id)`); err != nil {
			return fmt.Errorf("error messages: %w", err)
		}
		if len(pieces) > 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM text_pieces p WHERE p.id = ANY($1)
				AND NOT EXISTS (SELECT 1 FROM session_text_refs r WHERE r.pieces @> ARRAY[p.id])`, pieces); err != nil {
				return fmt.Errorf("text pieces: %w", err)
			}
		}
		return dropUnusedHeatPages(ctx, tx)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: delete sessions: %w", err)
	}
	return keys, nil
}

// sharedRowsLock is the advisory lock that orders deletion of shared rows (error messages,
// text pieces, heatmap paths) after the transactions that may reference them: writers take it
// shared, DeleteSessions exclusive.
const sharedRowsLock = 0x7265656d

// SweepContent deletes content no session reaches and returns it, marking what the sessions'
// roots reach through the edges in one recursive query.
func (db *DB) SweepContent(ctx context.Context, touchedBefore time.Time) ([]store.ContentKey, error) {
	out := []store.ContentKey{}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// Kept: what a session reaches, what was touched within the grace period (a
		// compaction or ingest about to reference it), and everything either reaches through
		// edges. The delete re-checks touched_at on the row it deletes, so an item touched by a
		// transaction that committed meanwhile (PostgreSQL re-reads a row updated under the
		// statement) is left.
		rows, err := tx.Query(ctx, `WITH RECURSIVE keep(id) AS (
				SELECT id FROM (SELECT content_id AS id FROM session_content
					UNION SELECT id FROM content WHERE touched_at >= $1) roots
				UNION SELECT e.child FROM content_children e JOIN keep ON e.parent = keep.id
			)
			DELETE FROM content c WHERE c.touched_at < $1 AND NOT EXISTS (SELECT 1 FROM keep WHERE keep.id = c.id)
			RETURNING c.id, c.project_id, c.hash`, ms(touchedBefore))
		if err != nil {
			return err
		}
		type item struct {
			id  int64
			key store.ContentKey
		}
		var dead []item
		for rows.Next() {
			var it item
			var h []byte
			if err := rows.Scan(&it.id, &it.key.ProjectID, &h); err != nil {
				return err
			}
			it.key.Hash = hex.EncodeToString(h)
			dead = append(dead, it)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		slices.SortFunc(dead, func(a, b item) int { return cmp.Compare(a.id, b.id) })
		gone := make([]int64, len(dead))
		for i, it := range dead {
			gone[i] = it.id
			out = append(out, it.key)
		}
		if len(gone) > 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM content_children WHERE parent = ANY($1) OR child = ANY($1)`, gone); err != nil {
				return fmt.Errorf("edges: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: sweep content: %w", err)
	}
	return out, nil
}

package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"modernc.org/sqlite"
)

// On-screen text (migration 0011, docs/search.md) is stored once: every distinct piece in
// text_pieces, with one full-text index over the pieces. A session keeps only references: a
// row per batch that showed new pieces, holding their ids packed (packIDs), and the same ids
// as the words of a row in session_text_refs_fts, a contentless full-text index without
// positions, which answers "which rows reference piece 12 or 57" from compact posting lists.
// A site shows the same menus, buttons and product names in every session, so the pieces
// are a few kilobytes where the sessions' own copies were megabytes, and ingest indexes a
// piece's words only the first time any session shows it.
//
// Pieces are shared by every project: a piece is read only through the sessions that
// reference it, and a search is always confined to one project's sessions, so sharing one
// reveals nothing, and a piece goes when the last session referencing it goes
// (dropUnusedText).

func init() {
	sqlite.MustRegisterFunction("reel_text_any", &sqlite.FunctionImpl{NArgs: 2, Deterministic: true, VolatileArgs: true, Scalar: textAny})
	sqlite.MustRegisterDeterministicScalarFunction("reel_text_hash", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		s, _ := args[0].(string)
		return textHash(s), nil
	})
	// The next three exist for migration 0011, which moved each session's own copy of its
	// text into shared pieces; migration 0017 packs content ids with reel_text_pack too.
	sqlite.MustRegisterDeterministicScalarFunction("reel_text_lines", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		s, _ := args[0].(string)
		b, err := json.Marshal(strings.Split(s, "\n"))
		return string(b), err
	})
	sqlite.MustRegisterDeterministicScalarFunction("reel_text_pack", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		s, _ := args[0].(string)
		var ids []int64
		if err := json.Unmarshal([]byte(s), &ids); err != nil {
			return nil, fmt.Errorf("reel_text_pack: %w", err)
		}
		return packIDs(ids), nil
	})
	sqlite.MustRegisterDeterministicScalarFunction("reel_text_words", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		b, _ := args[0].([]byte)
		ids, err := unpackIDs(b)
		if err != nil {
			return nil, fmt.Errorf("reel_text_words: %w", err)
		}
		return idWords(ids, " "), nil
	})
}

// textHash keys a piece for lookup: the first 4 bytes of its SHA-256, signed. Lookups compare
// the text too, so pieces sharing a key are still distinct pieces.
func textHash(s string) int64 {
	h := sha256.Sum256([]byte(s))
	return int64(int32(binary.BigEndian.Uint32(h[:4])))
}

// packIDs encodes piece ids as a sorted set: ascending and distinct, each as the unsigned
// varint of its difference from the one before (the first from 0). A session's few hundred
// pieces take a byte or two each.
func packIDs(ids []int64) []byte {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := make([]byte, 0, len(ids)*2)
	var prev int64
	for _, id := range ids {
		out = binary.AppendUvarint(out, uint64(id-prev))
		prev = id
	}
	return out
}

var errPacked = errors.New("sqlite: malformed packed piece ids")

// unpackIDs decodes packIDs.
func unpackIDs(b []byte) ([]int64, error) {
	var ids []int64
	var prev int64
	for len(b) > 0 {
		d, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, errPacked
		}
		prev += int64(d)
		ids = append(ids, prev)
		b = b[n:]
	}
	return ids, nil
}

// textAny is reel_text_any(a, b): 1 if the packed sets a and b share an id. It tests a
// session's row against the pieces a text: term matched, walking both sets once.
func textAny(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	a, _ := args[0].([]byte)
	b, _ := args[1].([]byte)
	var x, y int64
	next := func(p *[]byte, v *int64) bool {
		if len(*p) == 0 {
			return false
		}
		d, n := binary.Uvarint(*p)
		if n <= 0 {
			return false
		}
		*v += int64(d)
		*p = (*p)[n:]
		return true
	}
	if !next(&a, &x) || !next(&b, &y) {
		return int64(0), nil
	}
	for {
		switch {
		case x == y:
			return int64(1), nil
		case x < y:
			if !next(&a, &x) {
				return int64(0), nil
			}
		default:
			if !next(&b, &y) {
				return int64(0), nil
			}
		}
	}
}

// idWords writes ids as the words of session_text_refs_fts, joined by sep: " " for a row, " OR "
// for a query.
func idWords(ids []int64, sep string) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

// maxSessionText bounds the on-screen text indexed for one session, in bytes.
const maxSessionText = 64 << 10

// indexText runs after every savepoint of a group is released: FTS5 writes its pending
// index to disk at each savepoint boundary, which per batch cost more than the text itself.
//
// indexText references the pieces of on-screen text the session has not shown before, as one
// row, until the session has maxSessionText bytes, storing and indexing any piece no session
// has shown yet. Pages repeat their header, menu and footer on every snapshot, so without
// this each page view would reference them again.
func indexText(ctx context.Context, tx querier, seen *textSeen, id string, pieces []string) error {
	if len(pieces) == 0 {
		return nil
	}
	var size int
	if err := tx.QueryRowContext(ctx, `SELECT text_bytes FROM sessions WHERE id = ?`, id).Scan(&size); err != nil {
		return fmt.Errorf("index text: %w", err)
	}
	if size >= maxSessionText {
		return nil
	}
	have := map[int64]bool{}
	if size > 0 {
		ids, err := sessionPieces(ctx, tx, id)
		if err != nil {
			return fmt.Errorf("index text: %w", err)
		}
		for _, p := range ids {
			have[p] = true
		}
	}
	// The batch's pieces are looked up in one statement, and those no session has shown yet
	// are stored in one more: a statement per piece cost more than the rest of ingest.
	texts := make([]string, 0, len(pieces))
	dup := make(map[string]bool, len(pieces))
	found := make(map[string]int64, len(pieces))
	var lookup []string
	for _, p := range pieces {
		p = cleanPiece(p)
		if dup[p] {
			continue
		}
		dup[p] = true
		texts = append(texts, p)
		if pid, ok := seen.id(p); ok {
			found[p] = pid
		} else {
			lookup = append(lookup, p)
		}
	}
	if len(lookup) > 0 {
		stored, err := findPieces(ctx, tx, lookup)
		if err != nil {
			return fmt.Errorf("index text: %w", err)
		}
		for p, pid := range stored {
			found[p] = pid
			seen.add(p, pid)
		}
	}
	var add []int64
	var missing []string
	for _, p := range texts {
		pid, ok := found[p]
		if ok && have[pid] || size+len(p)+1 > maxSessionText {
			continue
		}
		if ok {
			have[pid] = true
			add = append(add, pid)
		} else {
			missing = append(missing, p)
		}
		size += len(p) + 1
	}
	if len(missing) > 0 {
		stored, err := storePieces(ctx, tx, missing)
		if err != nil {
			return fmt.Errorf("index text: add pieces: %w", err)
		}
		for i, pid := range stored {
			seen.add(missing[i], pid)
		}
		add = append(add, stored...)
	}
	if len(add) == 0 {
		return nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO session_text_refs(session_id, pieces) VALUES (?, ?)`, id, packIDs(add))
	if err != nil {
		return fmt.Errorf("index text: %w", err)
	}
	row, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("index text: %w", err)
	}
	slices.Sort(add)
	if _, err := tx.ExecContext(ctx, `INSERT INTO session_text_refs_fts(rowid, pieces) VALUES (?, ?)`, row, idWords(add, " ")); err != nil {
		return fmt.Errorf("index text: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET text_bytes = ? WHERE id = ?`, size, id); err != nil {
		return fmt.Errorf("index text: %w", err)
	}
	return nil
}

// textCache remembers the ids of pieces ingest has looked up or stored, so a site's pieces,
// which every session shows, are looked up once per process rather than once per batch (the
// lookups were a third of the cost of a batch with text). Ids go stale only when pieces are
// deleted, and every transaction that deletes pieces also increments the one row of
// text_epoch (migration 0019), whichever process or node it runs on. Each ingest transaction
// reads that row before it uses the cache and starts the cache over when it changed; on
// PostgreSQL it reads it FOR SHARE, so no deletion can commit between that read and the
// ingest's commit (the deletion's UPDATE of the row waits for it), and on SQLite the ingest
// holds the write lock. What a transaction learns joins the cache only after it commits, and
// only if the cache was not started over meanwhile. Ids are never reused besides (migration
// 0019), so an id remembered anywhere can at worst name a deleted piece, never another one.
type textCache struct {
	mu    sync.Mutex
	gen   int   // counts resets
	epoch int64 // text_epoch when the cache was last checked
	ids   map[string]int64
	size  int
}

// maxTextCache bounds the bytes of text the cache holds; when full it starts over.
const maxTextCache = 8 << 20

// textSeen is one ingest transaction's view of the cache, with the ids it learned.
type textSeen struct {
	cache *textCache
	gen   int
	added map[string]int64
}

func (s *textSeen) id(text string) (int64, bool) {
	if id, ok := s.added[text]; ok {
		return id, true
	}
	c := s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != s.gen {
		return 0, false
	}
	id, ok := c.ids[text]
	return id, ok
}

func (s *textSeen) add(text string, id int64) {
	if s.added == nil {
		s.added = map[string]int64{}
	}
	s.added[text] = id
}

// begin starts a transaction's view of the cache, starting the cache over if pieces were
// deleted since it was last checked.
func (c *textCache) begin(ctx context.Context, tx querier) (*textSeen, error) {
	var v int64
	if err := tx.QueryRowContext(ctx, `SELECT n FROM text_epoch`).Scan(&v); err != nil {
		return nil, fmt.Errorf("text epoch: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v != c.epoch {
		c.epoch = v
		c.resetLocked()
	}
	return &textSeen{cache: c, gen: c.gen}, nil
}

// commit keeps what a committed transaction learned.
func (c *textCache) commit(s *textSeen) {
	if len(s.added) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != s.gen {
		return
	}
	for text, id := range s.added {
		if c.size+len(text) > maxTextCache {
			c.ids, c.size = nil, 0
		}
		if c.ids == nil {
			c.ids = map[string]int64{}
		}
		c.ids[text] = id
		c.size += len(text)
	}
}

func (c *textCache) resetLocked() {
	c.gen++
	c.ids, c.size = nil, 0
}

// cleanPiece makes a piece storable as it is found again: one line (a row of 0007 held a piece
// a line), valid UTF-8 without NUL, so that it reads back through JSON as it went in.
func cleanPiece(p string) string {
	p = strings.ReplaceAll(p, "\n", " ")
	p = strings.ReplaceAll(p, "\x00", "")
	return strings.ToValidUTF8(p, "\uFFFD")
}

// findPieces looks the pieces up by hash in one statement (a statement per piece cost more than
// the rest of ingest) and returns the ids of those stored.
func findPieces(ctx context.Context, tx querier, texts []string) (map[string]int64, error) {
	hashes := make([]int64, len(texts))
	want := make(map[string]bool, len(texts))
	for i, p := range texts {
		hashes[i] = textHash(p)
		want[p] = true
	}
	arg, err := json.Marshal(hashes)
	if err != nil {
		return nil, err
	}
	// One row, a JSON object of text → id: reading a row per piece cost as much as the lookup.
	var obj []byte
	err = tx.QueryRowContext(ctx, `SELECT json_group_object(text, id) FROM text_pieces WHERE hash IN (SELECT value FROM json_each(?))`, string(arg)).Scan(&obj)
	if err != nil {
		return nil, err
	}
	var stored map[string]int64
	if err := json.Unmarshal(obj, &stored); err != nil {
		return nil, err
	}
	// A piece whose hash another piece shares is not the one looked up.
	for text := range stored {
		if !want[text] {
			delete(stored, text)
		}
	}
	return stored, nil
}

// storePieces stores pieces no session has shown yet, in one statement, and returns their ids.
func storePieces(ctx context.Context, tx querier, texts []string) ([]int64, error) {
	pairs := make([][2]any, len(texts))
	for i, p := range texts {
		pairs[i] = [2]any{textHash(p), p}
	}
	arg, err := json.Marshal(pairs)
	if err != nil {
		return nil, err
	}
	// SQLite does not promise RETURNING's order, so each row says which piece it is.
	rows, err := tx.QueryContext(ctx, `INSERT INTO text_pieces(hash, text) SELECT value ->> 0, value ->> 1 FROM json_each(?) ORDER BY key RETURNING id, hash`, string(arg))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byHash := make(map[int64][]int64, len(texts))
	for rows.Next() {
		var id, h int64
		if err := rows.Scan(&id, &h); err != nil {
			return nil, err
		}
		byHash[h] = append(byHash[h], id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Pieces sharing a hash were inserted in the order given, so their ids ascend in it.
	ids := make([]int64, len(texts))
	for i, p := range texts {
		h := textHash(p)
		if len(byHash[h]) == 0 {
			return nil, fmt.Errorf("piece %d of %d not stored", i+1, len(texts))
		}
		slices.Sort(byHash[h])
		ids[i], byHash[h] = byHash[h][0], byHash[h][1:]
	}
	return ids, nil
}

// sessionPieces lists the pieces a session references.
func sessionPieces(ctx context.Context, tx querier, id string) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT pieces FROM session_text_refs WHERE session_id = ?`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		ids, err := unpackIDs(b)
		if err != nil {
			return nil, err
		}
		out = append(out, ids...)
	}
	return out, rows.Err()
}

// dropUnusedText deletes the pieces among candidates that no row of session text references
// any more; the trigger takes each out of the full-text index, and secure-delete out of its
// pages too. DeleteSessions runs it after deleting the sessions, so text that only deleted
// sessions showed is gone while text other sessions showed stays searchable for them.
func dropUnusedText(ctx context.Context, tx querier, candidates map[int64]bool) error {
	ids := make([]int64, 0, len(candidates))
	for id := range candidates {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	deleted := false
	for _, id := range ids {
		// Deleted only if no row references it at the moment of the delete: the check and the
		// delete are one statement. (PostgreSQL locks the candidates FOR UPDATE, in id order,
		// first, so a reference committed meanwhile is counted.)
		res, err := tx.ExecContext(ctx, `DELETE FROM text_pieces WHERE id = ?1
			AND NOT EXISTS (SELECT 1 FROM session_text_refs_fts WHERE session_text_refs_fts MATCH CAST(?1 AS TEXT))`, id)
		if err != nil {
			return fmt.Errorf("text piece %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			deleted = true
		}
	}
	// Ingest caches ids of pieces (textCache): moving the epoch makes every cache, in every
	// process, start over before it next hands one out.
	if deleted {
		if _, err := tx.ExecContext(ctx, `UPDATE text_epoch SET n = n + 1`); err != nil {
			return fmt.Errorf("text epoch: %w", err)
		}
	}
	return nil
}

// maxTextWords bounds the pieces a text: term lists as one full-text query over the rows
// (id OR id OR …); a term matching more pieces tests each session's rows instead.
const maxTextWords = 1000

// textRows streams the session_text_refs rows (aliased d) whose pieces match an id list, in the
// index's order, so a LIMIT stops reading it early.
const textRows = `session_text_refs_fts f JOIN session_text_refs d ON d.id = f.rowid`

// text compiles text: in two steps. The full-text index of the distinct pieces finds the pieces
// with the words, a short list even for a common word. Then, for rare text, the probe collects
// the sessions whose rows reference any of them from the rows' index, and the query tests ids
// against that list; common text is tested session by session, each of the session's one or
// two rows checked against the list of pieces (reel_text_any), and counted from the rows'
// index streamed in rowid order.
func (c *compiler) text(q string) (string, error) {
	rows, err := c.query(c.ctx, `SELECT rowid FROM text_pieces_fts WHERE text_pieces_fts MATCH ?`, q)
	if err != nil {
		return "", fmt.Errorf("sqlite: search: text pieces: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return "", fmt.Errorf("sqlite: search: text pieces: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("sqlite: search: text pieces: %w", err)
	}
	if len(ids) == 0 {
		return "0", nil
	}
	l := lookup{table: "session_text_refs", cond: "reel_text_any(pieces, ?)", check: "reel_text_any(pieces, ?)", args: []any{packIDs(ids)}}
	if len(ids) <= maxTextWords {
		words := idWords(ids, " OR ")
		if !c.neg && c.probe != nil {
			var n int
			var sessions string
			err := c.probe(c.ctx, `SELECT COUNT(*), COALESCE(json_group_array(session_id), '[]') FROM (SELECT DISTINCT d.session_id FROM `+textRows+
				` WHERE f.session_text_refs_fts MATCH ? LIMIT ?)`, words, rareRows).Scan(&n, &sessions)
			if err != nil {
				return "", fmt.Errorf("sqlite: search: probe text: %w", err)
			}
			c.probed = n
			if n < rareRows {
				if n == 0 {
					return "0", nil
				}
				c.args = append(c.args, sessions)
				return "s.id IN (SELECT value FROM json_each(?))", nil
			}
		}
		l.from, l.fromCond, l.fromArgs = textRows, "f.session_text_refs_fts MATCH ?", []any{words}
	}
	return c.lookupTest(l), nil
}

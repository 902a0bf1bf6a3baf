package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5"
	"golang.org/x/text/unicode/norm"

	"github.com/reelhq/reel/internal/search"
)

// On-screen text is stored as in SQLite (docs/search.md): every distinct piece once, in
// text_pieces, with its words; a session references the pieces it showed by id, one row per
// batch that showed new ones. The words of a piece are written by this driver as a tsvector
// (the words search.Words finds, without diacritics, with their positions), and a text: term
// as a tsquery built the same way, so neither PostgreSQL's parser nor its dictionaries decide
// what a word is: the same words match as with SQLite's unicode61 tokenizer.

// maxSessionText bounds the on-screen text indexed for one session, in bytes.
const maxSessionText = 64 << 10

// maxLexeme is the longest word PostgreSQL keeps in a tsvector (2047 bytes), less a margin;
// a longer "word" is not indexed.
const maxLexeme = 2000

// maxPosition is the largest position a tsvector records; later words share it.
const maxPosition = 16383

// cleanPiece makes a piece storable as it is found again: one line, valid UTF-8 without NUL.
func cleanPiece(p string) string {
	p = strings.ReplaceAll(p, "\n", " ")
	p = strings.ReplaceAll(p, "\x00", "")
	return strings.ToValidUTF8(p, "\uFFFD")
}

// fold removes diacritics from a word, as unicode61's remove_diacritics does: the word is
// decomposed and its combining marks dropped.
func fold(w string) string {
	d := norm.NFD.String(w)
	if len(d) == len(w) && !strings.ContainsFunc(d, func(r rune) bool { return unicode.Is(unicode.Mn, r) }) {
		return w
	}
	out := strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, d)
	return norm.NFC.String(out)
}

// textWords are the words of a text as the index compares them.
func textWords(s string) []string {
	words := search.Words(s)
	for i, w := range words {
		words[i] = fold(w)
	}
	return words
}

// lexeme quotes a word as a tsvector or tsquery lexeme. Words are letters and digits only, so
// there is no quote or backslash to escape; the doubling is there all the same.
func lexeme(w string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(w, `\`, `\\`), "'", "''") + "'"
}

// tsvector is the literal of a piece's words with their positions.
func tsvector(piece string) string {
	var b strings.Builder
	pos := 0
	for _, w := range textWords(piece) {
		pos++
		if len(w) > maxLexeme || w == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(lexeme(w))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(min(pos, maxPosition)))
	}
	return b.String()
}

// tsquery is the query of a text: term: its words as a phrase, the last a prefix for a glob;
// "" when it has no word.
func tsquery(t *search.Term) string {
	words := textWords(strings.TrimSuffix(t.Text, "*"))
	if len(words) == 0 {
		return ""
	}
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = lexeme(w)
	}
	if t.Op == search.Glob {
		parts[len(parts)-1] += ":*"
	}
	return strings.Join(parts, " <-> ")
}

// sessionText is the text one batch showed.
type sessionText struct {
	id     string
	pieces []string
}

// indexText references the pieces of on-screen text each session has not shown before, as
// one row per batch, until the session has maxSessionText bytes, storing any piece no session
// has shown yet. It runs after the batches of a group, with their sessions locked, and stores
// new pieces in hash order (the lock order of concurrent writers).
func indexText(ctx context.Context, tx pgx.Tx, texts []sessionText) error {
	if len(texts) == 0 {
		return nil
	}
	type state struct {
		size     int
		have     map[int64]bool
		haveText map[string]bool
	}
	states := map[string]*state{}
	all := map[string]bool{}
	var sessions []string
	for k := range texts {
		t := &texts[k]
		// Cleaned into a copy: the pieces are the caller's.
		pieces := make([]string, len(t.pieces))
		for i, p := range t.pieces {
			pieces[i] = cleanPiece(p)
			all[pieces[i]] = true
		}
		t.pieces = pieces
		if states[t.id] == nil {
			states[t.id] = &state{have: map[int64]bool{}, haveText: map[string]bool{}}
			sessions = append(sessions, t.id)
		}
	}
	// What every session of the group has shown so far, in two statements for the group
	// rather than two per session.
	rows, err := tx.Query(ctx, `SELECT id, text_bytes FROM sessions WHERE id = ANY($1)`, sessions)
	if err != nil {
		return fmt.Errorf("index text: %w", err)
	}
	var partial []string
	for rows.Next() {
		var id string
		var size int
		if err := rows.Scan(&id, &size); err != nil {
			rows.Close()
			return fmt.Errorf("index text: %w", err)
		}
		states[id].size = size
		if size > 0 && size < maxSessionText {
			partial = append(partial, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("index text: %w", err)
	}
	if len(partial) > 0 {
		rows, err := tx.Query(ctx, `SELECT session_id, unnest(pieces) FROM session_text_refs WHERE session_id = ANY($1)`, partial)
		if err != nil {
			return fmt.Errorf("index text: %w", err)
		}
		for rows.Next() {
			var id string
			var piece int64
			if err := rows.Scan(&id, &piece); err != nil {
				rows.Close()
				return fmt.Errorf("index text: %w", err)
			}
			states[id].have[piece] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("index text: %w", err)
		}
	}
	stored, err := findPieces(ctx, tx, all)
	if err != nil {
		return fmt.Errorf("index text: %w", err)
	}
	// Which pieces each batch adds, by text, as SQLite decides it; the new pieces are stored
	// after, all at once.
	adds := make([][]string, len(texts))
	var missing []string
	for i, t := range texts {
		st := states[t.id]
		if st.size >= maxSessionText {
			continue
		}
		dup := map[string]bool{}
		for _, p := range t.pieces {
			if dup[p] {
				continue
			}
			dup[p] = true
			pid, ok := stored[p]
			if ok && st.have[pid] || st.haveText[p] || st.size+len(p)+1 > maxSessionText {
				continue
			}
			st.haveText[p] = true
			if !ok && !slices.Contains(missing, p) {
				missing = append(missing, p)
			}
			adds[i] = append(adds[i], p)
			st.size += len(p) + 1
		}
	}
	if len(missing) > 0 {
		if err := storePieces(ctx, tx, missing); err != nil {
			return fmt.Errorf("index text: add pieces: %w", err)
		}
		more, err := findPieces(ctx, tx, toSet(missing))
		if err != nil {
			return fmt.Errorf("index text: %w", err)
		}
		for p, id := range more {
			stored[p] = id
		}
	}
	var q pgx.Batch
	for i, t := range texts {
		if len(adds[i]) == 0 {
			continue
		}
		ids := make([]int64, 0, len(adds[i]))
		for _, p := range adds[i] {
			id, ok := stored[p]
			if !ok {
				return fmt.Errorf("index text: piece of session %s not stored", t.id)
			}
			ids = append(ids, id)
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		q.Queue(`INSERT INTO session_text_refs(session_id, pieces) VALUES ($1, $2)`, t.id, ids)
	}
	// In session id order, the order every writer updates session rows in (they are locked
	// already; the order keeps it obvious).
	for _, id := range slices.Sorted(maps.Keys(states)) {
		q.Queue(`UPDATE sessions SET text_bytes = $1 WHERE id = $2 AND text_bytes <> $1`, states[id].size, id)
	}
	if err := tx.SendBatch(ctx, &q).Close(); err != nil {
		return fmt.Errorf("index text: %w", err)
	}
	return nil
}

func toSet(ss []string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}

func pieceHash(p string) []byte {
	h := sha256.Sum256([]byte(p))
	return h[:]
}

// findPieces returns the ids of the stored pieces among texts.
func findPieces(ctx context.Context, tx pgx.Tx, texts map[string]bool) (map[string]int64, error) {
	hashes := make([][]byte, 0, len(texts))
	for p := range texts {
		hashes = append(hashes, pieceHash(p))
	}
	rows, err := tx.Query(ctx, `SELECT text, id FROM text_pieces WHERE hash = ANY($1)`, hashes)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]int64, len(texts))
	for rows.Next() {
		var p string
		var id int64
		if err := rows.Scan(&p, &id); err != nil {
			return nil, err
		}
		if texts[p] {
			out[p] = id
		}
	}
	return out, rows.Err()
}

// storePieces stores pieces, in hash order, leaving any another writer stored meanwhile.
func storePieces(ctx context.Context, tx pgx.Tx, texts []string) error {
	type piece struct {
		hash []byte
		text string
	}
	ps := make([]piece, len(texts))
	for i, p := range texts {
		ps[i] = piece{pieceHash(p), p}
	}
	slices.SortFunc(ps, func(a, b piece) int { return bytes.Compare(a.hash, b.hash) })
	hashes, ts, words := make([][]byte, len(ps)), make([]string, len(ps)), make([]string, len(ps))
	for i, p := range ps {
		hashes[i], ts[i], words[i] = p.hash, p.text, tsvector(p.text)
	}
	_, err := tx.Exec(ctx, `INSERT INTO text_pieces(hash, text, words)
		SELECT h, t, w::tsvector FROM unnest($1::bytea[], $2::text[], $3::text[]) WITH ORDINALITY AS u(h, t, w, n) ORDER BY n
		ON CONFLICT (hash) DO NOTHING`, hashes, ts, words)
	return err
}

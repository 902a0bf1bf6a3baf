package postgres

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/reelhq/reel/internal/store"
)

// The columns a bulk loader (bench/search, writing a million sessions with COPY as a restore
// would) must derive exactly as this driver does, or search would not find what it loaded.

// TextRow is a piece of on-screen text as text_pieces stores it: the piece cleaned, its hash and
// its words as a tsvector literal.
func TextRow(piece string) (text string, hash []byte, words string) {
	text = cleanPiece(clean(piece))
	return text, pieceHash(text), tsvector(text)
}

// PropHash is a track property's identity within its session (session_event_props.hash).
func PropHash(key, value string) []byte {
	return propHash(store.Prop{Key: clean(key), Value: clean(value)})
}

// MessageHash is an error message's identity (error_messages.hash).
func MessageHash(message string) []byte {
	h := sha256.Sum256([]byte(clean(message)))
	return h[:]
}

// Size is the database's size on disk in bytes.
func (db *DB) Size(ctx context.Context) (int64, error) {
	var n int64
	if err := db.pool.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: size: %w", err)
	}
	return n, nil
}

package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/internal/store"
)

var _ store.Tokens = (*DB)(nil)

const tokenCols = `id, secret_hash, name, scope, projects, created_by, created_at, expires_at, revoked_at, last_used_at`

func scanToken(r pgx.Row) (store.Token, error) {
	var t store.Token
	var created, expires, revoked, used int64
	if err := r.Scan(&t.ID, &t.SecretHash, &t.Name, &t.Scope, &t.Projects, &t.CreatedBy, &created, &expires, &revoked, &used); err != nil {
		return t, err
	}
	if t.Projects == nil {
		t.Projects = []string{}
	}
	t.CreatedAt, t.ExpiresAt = fromMS(created), fromMS(expires)
	t.RevokedAt, t.LastUsedAt = fromMSOrZero(revoked), fromMSOrZero(used)
	return t, nil
}

// fromMSOrZero is fromMS with 0 meaning "never" (the zero time).
func fromMSOrZero(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromMS(v)
}

// msOrZero is ms with the zero time stored as 0.
func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms(t)
}

// CreateToken stores a token.
func (db *DB) CreateToken(ctx context.Context, t store.Token) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO api_tokens(`+tokenCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		clean(t.ID), t.SecretHash, clean(t.Name), clean(t.Scope), cleanAll(t.Projects), t.CreatedBy, ms(t.CreatedAt), ms(t.ExpiresAt),
		msOrZero(t.RevokedAt), msOrZero(t.LastUsedAt))
	switch {
	case isUniqueViolation(err):
		return fmt.Errorf("postgres: create token: %w", store.ErrDuplicate)
	case isForeignKeyViolation(err):
		return fmt.Errorf("postgres: create token: user %d: %w", t.CreatedBy, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("postgres: create token: %w", err)
	}
	return nil
}

// Tokens returns every token, newest first.
func (db *DB) Tokens(ctx context.Context) ([]store.Token, error) {
	rows, _ := db.pool.Query(ctx, `SELECT `+tokenCols+` FROM api_tokens ORDER BY created_at DESC, id`)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Token, error) { return scanToken(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: tokens: %w", err)
	}
	if out == nil {
		out = []store.Token{}
	}
	return out, nil
}

// TokenByID returns one token.
func (db *DB) TokenByID(ctx context.Context, id string) (store.Token, error) {
	t, err := scanToken(db.pool.QueryRow(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE id = $1`, clean(id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("postgres: token: %w", store.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("postgres: token: %w", err)
	}
	return t, nil
}

// RevokeToken marks a token revoked, keeping the first revocation's time.
func (db *DB) RevokeToken(ctx context.Context, id string, at time.Time) error {
	tag, err := db.pool.Exec(ctx, `UPDATE api_tokens SET revoked_at = CASE WHEN revoked_at = 0 THEN $1 ELSE revoked_at END WHERE id = $2`, ms(at), clean(id))
	if err != nil {
		return fmt.Errorf("postgres: revoke token: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: revoke token %s: %w", id, store.ErrNotFound)
	}
	return nil
}

// TouchToken records a use, at most once per store.TokenTouchEvery.
func (db *DB) TouchToken(ctx context.Context, id string, at time.Time) error {
	if _, err := db.pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND last_used_at <= $3`,
		ms(at), clean(id), ms(at.Add(-store.TokenTouchEvery))); err != nil {
		return fmt.Errorf("postgres: touch token: %w", err)
	}
	return nil
}

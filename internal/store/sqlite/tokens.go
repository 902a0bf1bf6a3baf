package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/reelhq/reel/internal/store"
)

var _ store.Tokens = (*DB)(nil)

const tokenCols = `id, secret_hash, name, scope, projects, created_by, created_at, expires_at, revoked_at, last_used_at`

func scanToken(r rowScanner) (store.Token, error) {
	var t store.Token
	var projects string
	var created, expires, revoked, used int64
	if err := r.Scan(&t.ID, &t.SecretHash, &t.Name, &t.Scope, &projects, &t.CreatedBy, &created, &expires, &revoked, &used); err != nil {
		return t, err
	}
	if err := json.Unmarshal([]byte(projects), &t.Projects); err != nil {
		return t, fmt.Errorf("projects of token %s: %w", t.ID, err)
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

func projectsJSON(ps []string) string {
	if len(ps) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(ps)
	return string(b)
}

// CreateToken stores a token.
func (db *DB) CreateToken(ctx context.Context, t store.Token) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO api_tokens(`+tokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.SecretHash, t.Name, t.Scope, projectsJSON(t.Projects), t.CreatedBy, ms(t.CreatedAt), ms(t.ExpiresAt),
		msOrZero(t.RevokedAt), msOrZero(t.LastUsedAt))
	switch {
	case isUniqueViolation(err):
		return fmt.Errorf("sqlite: create token: %w", store.ErrDuplicate)
	case isForeignKeyViolation(err):
		return fmt.Errorf("sqlite: create token: user %d: %w", t.CreatedBy, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("sqlite: create token: %w", err)
	}
	return nil
}

// Tokens returns every token, newest first.
func (db *DB) Tokens(ctx context.Context) ([]store.Token, error) {
	out := []store.Token{}
	err := each(ctx, db.read, `SELECT `+tokenCols+` FROM api_tokens ORDER BY created_at DESC, id`, nil, func(r *sql.Rows) error {
		t, err := scanToken(r)
		out = append(out, t)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: tokens: %w", err)
	}
	return out, nil
}

// TokenByID returns one token.
func (db *DB) TokenByID(ctx context.Context, id string) (store.Token, error) {
	t, err := scanToken(db.read.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("sqlite: token: %w", store.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("sqlite: token: %w", err)
	}
	return t, nil
}

// RevokeToken marks a token revoked, keeping the first revocation's time.
func (db *DB) RevokeToken(ctx context.Context, id string, at time.Time) error {
	res, err := db.write.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END WHERE id = ?`, ms(at), id)
	if err != nil {
		return fmt.Errorf("sqlite: revoke token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlite: revoke token %s: %w", id, store.ErrNotFound)
	}
	return nil
}

// TouchToken records a use, at most once per store.TokenTouchEvery.
func (db *DB) TouchToken(ctx context.Context, id string, at time.Time) error {
	if _, err := db.write.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND last_used_at <= ?`,
		ms(at), id, ms(at.Add(-store.TokenTouchEvery))); err != nil {
		return fmt.Errorf("sqlite: touch token: %w", err)
	}
	return nil
}

package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/internal/store"
)

// CreateIdentity links a user to an account at an OpenID provider.
func (db *DB) CreateIdentity(ctx context.Context, id store.Identity) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO identities(issuer, subject, user_id, created_at) VALUES ($1, $2, $3, $4)`,
		clean(id.Issuer), clean(id.Subject), id.UserID, ms(id.CreatedAt))
	switch {
	case isUniqueViolation(err):
		return fmt.Errorf("postgres: create identity: %w", store.ErrDuplicate)
	case isForeignKeyViolation(err):
		return fmt.Errorf("postgres: create identity: user %d: %w", id.UserID, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("postgres: create identity: %w", err)
	}
	return nil
}

// UserByIdentity returns the user linked to subject at issuer.
func (db *DB) UserByIdentity(ctx context.Context, issuer, subject string) (store.User, error) {
	var u store.User
	var created int64
	err := db.pool.QueryRow(ctx, `SELECT u.id, u.email, u.password_hash, u.role, u.created_at
		FROM identities i JOIN users u ON u.id = i.user_id WHERE i.issuer = $1 AND i.subject = $2`, clean(issuer), clean(subject)).
		Scan(&u.ID, &u.Email, &u.PasswordHash, &u.Role, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, fmt.Errorf("postgres: user by identity: %w", store.ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("postgres: user by identity: %w", err)
	}
	u.CreatedAt = fromMS(created)
	return u, nil
}

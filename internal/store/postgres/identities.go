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
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT u.id, u.email, u.password_hash, u.role, u.created_at, u.disabled_at
		FROM identities i JOIN users u ON u.id = i.user_id WHERE i.issuer = $1 AND i.subject = $2`, clean(issuer), clean(subject)))
	if errors.Is(err, pgx.ErrNoRows) {
		return u, fmt.Errorf("postgres: user by identity: %w", store.ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("postgres: user by identity: %w", err)
	}
	return u, nil
}

// exportIdentities emits every identity, by user and issuer.
func exportIdentities(ctx context.Context, tx pgx.Tx, fn func(store.Record) error) error {
	var all []store.Identity
	err := each(ctx, tx, `SELECT issuer, subject, user_id, created_at FROM identities ORDER BY user_id, issuer`, nil, func(r pgx.Rows) error {
		var id store.Identity
		var created int64
		if err := r.Scan(&id.Issuer, &id.Subject, &id.UserID, &created); err != nil {
			return err
		}
		id.CreatedAt = fromMS(created)
		all = append(all, id)
		return nil
	})
	if err != nil {
		return err
	}
	return emit(all, fn, func(id *store.Identity) store.Record { return store.Record{Identity: id} })
}

// importIdentity writes an exported identity unless it is there; its user must be.
func importIdentity(ctx context.Context, tx pgx.Tx, id *store.Identity) error {
	_, err := tx.Exec(ctx, `INSERT INTO identities(issuer, subject, user_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
		id.Issuer, id.Subject, id.UserID, ms(id.CreatedAt))
	if err != nil {
		return notFound(err, fmt.Sprintf("identity of user %d", id.UserID))
	}
	return nil
}

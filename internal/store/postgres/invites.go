package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/internal/store"
)

const inviteCols = `id, token_hash, kind, email, role, projects, COALESCE(user_id, 0), invited_by, created_at, expires_at, used_at`

func scanInvite(r pgx.Row) (store.Invite, error) {
	var inv store.Invite
	var created, expires, used int64
	if err := r.Scan(&inv.ID, &inv.TokenHash, &inv.Kind, &inv.Email, &inv.Role, &inv.Projects, &inv.UserID, &inv.InvitedBy, &created, &expires, &used); err != nil {
		return inv, err
	}
	if inv.Projects == nil {
		inv.Projects = []string{}
	}
	inv.CreatedAt, inv.ExpiresAt = fromMS(created), fromMS(expires)
	if used != 0 {
		inv.UsedAt = fromMS(used)
	}
	return inv, nil
}

// CreateInvite stores a one-time link and returns it with its id.
func (db *DB) CreateInvite(ctx context.Context, inv store.Invite) (store.Invite, error) {
	if inv.Projects == nil {
		inv.Projects = []string{}
	}
	var userID *int64
	if inv.UserID != 0 {
		userID = &inv.UserID
	}
	err := db.pool.QueryRow(ctx, `INSERT INTO invites(token_hash, kind, email, role, projects, user_id, invited_by, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		clean(inv.TokenHash), clean(inv.Kind), clean(inv.Email), clean(inv.Role), cleanAll(inv.Projects), userID, inv.InvitedBy,
		ms(inv.CreatedAt), ms(inv.ExpiresAt)).Scan(&inv.ID)
	if isUniqueViolation(err) {
		return inv, fmt.Errorf("postgres: create invite: %w", store.ErrDuplicate)
	}
	if isForeignKeyViolation(err) {
		return inv, fmt.Errorf("postgres: create invite: user %d: %w", inv.UserID, store.ErrNotFound)
	}
	if err != nil {
		return inv, fmt.Errorf("postgres: create invite: %w", err)
	}
	return inv, nil
}

// PendingInvites returns the links of kind neither used nor expired at now, by id.
func (db *DB) PendingInvites(ctx context.Context, kind string, now time.Time) ([]store.Invite, error) {
	rows, _ := db.pool.Query(ctx, `SELECT `+inviteCols+` FROM invites WHERE kind = $1 AND used_at = 0 AND expires_at > $2 ORDER BY id`, clean(kind), ms(now))
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Invite, error) { return scanInvite(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: pending invites: %w", err)
	}
	if out == nil {
		out = []store.Invite{}
	}
	return out, nil
}

// InviteByTokenHash finds a link by the hash of its token.
func (db *DB) InviteByTokenHash(ctx context.Context, hash string) (store.Invite, error) {
	inv, err := scanInvite(db.pool.QueryRow(ctx, `SELECT `+inviteCols+` FROM invites WHERE token_hash = $1`, clean(hash)))
	if errors.Is(err, pgx.ErrNoRows) {
		return inv, fmt.Errorf("postgres: invite: %w", store.ErrNotFound)
	}
	if err != nil {
		return inv, fmt.Errorf("postgres: invite: %w", err)
	}
	return inv, nil
}

// RevokeInvite deletes an unused link.
func (db *DB) RevokeInvite(ctx context.Context, id int64) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM invites WHERE id = $1 AND used_at = 0`, id)
	if err != nil {
		return fmt.Errorf("postgres: revoke invite: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: revoke invite %d: %w", id, store.ErrNotFound)
	}
	return nil
}

// ConsumeInvite uses a link once. The guarded update is what makes it one-time: a concurrent
// transaction with the same token waits on the row lock, then finds used_at set and updates
// nothing.
func (db *DB) ConsumeInvite(ctx context.Context, hash, passwordHash string, now time.Time) (store.User, error) {
	var u store.User
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		inv, err := scanInvite(tx.QueryRow(ctx, `UPDATE invites SET used_at = $1 WHERE token_hash = $2 AND used_at = 0 AND expires_at > $1 RETURNING `+inviteCols,
			ms(now), clean(hash)))
		if errors.Is(err, pgx.ErrNoRows) {
			// Say why: no such link, used, or expired.
			old, err := scanInvite(tx.QueryRow(ctx, `SELECT `+inviteCols+` FROM invites WHERE token_hash = $1`, clean(hash)))
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				return store.ErrNotFound
			case err != nil:
				return err
			case !old.UsedAt.IsZero():
				return store.ErrUsed
			}
			return store.ErrExpired
		}
		if err != nil {
			return err
		}
		switch inv.Kind {
		case store.InviteKind:
			u = store.User{Email: inv.Email, PasswordHash: passwordHash, Role: inv.Role, CreatedAt: fromMS(ms(now))}
			err := tx.QueryRow(ctx, `INSERT INTO users(email, password_hash, role, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
				u.Email, u.PasswordHash, u.Role, ms(now)).Scan(&u.ID)
			if isUniqueViolation(err) {
				return store.ErrDuplicate
			}
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `INSERT INTO user_projects(user_id, project_id) SELECT $1, id FROM projects WHERE id = ANY($2::text[]) ON CONFLICT DO NOTHING`,
				u.ID, inv.Projects)
			return err
		case store.ResetKind:
			if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, passwordHash, inv.UserID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM logins WHERE user_id = $1`, inv.UserID); err != nil {
				return err
			}
			u, err = scanUser(tx.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, inv.UserID))
			if errors.Is(err, pgx.ErrNoRows) {
				return store.ErrNotFound
			}
			return err
		}
		return fmt.Errorf("invite %d: unknown kind %q", inv.ID, inv.Kind)
	})
	if err != nil {
		return store.User{}, fmt.Errorf("postgres: consume invite: %w", err)
	}
	return u, nil
}

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

const inviteCols = `id, token_hash, kind, email, role, projects, COALESCE(user_id, 0), invited_by, created_at, expires_at, used_at`

func scanInvite(r rowScanner) (store.Invite, error) {
	var inv store.Invite
	var projects string
	var created, expires, used int64
	if err := r.Scan(&inv.ID, &inv.TokenHash, &inv.Kind, &inv.Email, &inv.Role, &projects, &inv.UserID, &inv.InvitedBy, &created, &expires, &used); err != nil {
		return inv, err
	}
	if err := json.Unmarshal([]byte(projects), &inv.Projects); err != nil {
		return inv, fmt.Errorf("projects of invite %d: %w", inv.ID, err)
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
	projects, err := json.Marshal(inv.Projects)
	if err != nil {
		return inv, fmt.Errorf("sqlite: create invite: %w", err)
	}
	var userID any
	if inv.UserID != 0 {
		userID = inv.UserID
	}
	res, err := db.write.ExecContext(ctx, `INSERT INTO invites(token_hash, kind, email, role, projects, user_id, invited_by, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		inv.TokenHash, inv.Kind, inv.Email, inv.Role, string(projects), userID, inv.InvitedBy, ms(inv.CreatedAt), ms(inv.ExpiresAt))
	if isUniqueViolation(err) {
		return inv, fmt.Errorf("sqlite: create invite: %w", store.ErrDuplicate)
	}
	if isForeignKeyViolation(err) {
		return inv, fmt.Errorf("sqlite: create invite: user %d: %w", inv.UserID, store.ErrNotFound)
	}
	if err != nil {
		return inv, fmt.Errorf("sqlite: create invite: %w", err)
	}
	inv.ID, err = res.LastInsertId()
	return inv, err
}

// PendingInvites returns the links of kind neither used nor expired at now, by id.
func (db *DB) PendingInvites(ctx context.Context, kind string, now time.Time) ([]store.Invite, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+inviteCols+` FROM invites WHERE kind = ? AND used_at = 0 AND expires_at > ? ORDER BY id`, kind, ms(now))
	if err != nil {
		return nil, fmt.Errorf("sqlite: pending invites: %w", err)
	}
	defer rows.Close()
	out := []store.Invite{}
	for rows.Next() {
		inv, err := scanInvite(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: pending invites: %w", err)
		}
		out = append(out, inv)
	}
	return out, rows.Err()
}

// InviteByTokenHash finds a link by the hash of its token.
func (db *DB) InviteByTokenHash(ctx context.Context, hash string) (store.Invite, error) {
	inv, err := scanInvite(db.read.QueryRowContext(ctx, `SELECT `+inviteCols+` FROM invites WHERE token_hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return inv, fmt.Errorf("sqlite: invite: %w", store.ErrNotFound)
	}
	if err != nil {
		return inv, fmt.Errorf("sqlite: invite: %w", err)
	}
	return inv, nil
}

// RevokeInvite deletes an unused link.
func (db *DB) RevokeInvite(ctx context.Context, id int64) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM invites WHERE id = ? AND used_at = 0`, id)
	if err != nil {
		return fmt.Errorf("sqlite: revoke invite: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlite: revoke invite %d: %w", id, store.ErrNotFound)
	}
	return nil
}

// ConsumeInvite uses a link once. The guarded update (used_at still 0) is what makes it
// one-time: of two transactions with the same token only the first to write changes the row.
func (db *DB) ConsumeInvite(ctx context.Context, hash, passwordHash string, now time.Time) (store.User, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return store.User{}, fmt.Errorf("sqlite: consume invite: %w", err)
	}
	defer tx.Rollback()
	inv, err := scanInvite(tx.QueryRowContext(ctx, `SELECT `+inviteCols+` FROM invites WHERE token_hash = ?`, hash))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.User{}, fmt.Errorf("sqlite: consume invite: %w", store.ErrNotFound)
	case err != nil:
		return store.User{}, fmt.Errorf("sqlite: consume invite: %w", err)
	case !inv.UsedAt.IsZero():
		return store.User{}, fmt.Errorf("sqlite: consume invite %d: %w", inv.ID, store.ErrUsed)
	case !now.Before(inv.ExpiresAt):
		return store.User{}, fmt.Errorf("sqlite: consume invite %d: %w", inv.ID, store.ErrExpired)
	}
	res, err := tx.ExecContext(ctx, `UPDATE invites SET used_at = ? WHERE id = ? AND used_at = 0`, ms(now), inv.ID)
	if err != nil {
		return store.User{}, fmt.Errorf("sqlite: consume invite: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return store.User{}, fmt.Errorf("sqlite: consume invite %d: %w", inv.ID, store.ErrUsed)
	}
	var u store.User
	switch inv.Kind {
	case store.InviteKind:
		u = store.User{Email: inv.Email, PasswordHash: passwordHash, Role: inv.Role, CreatedAt: now}
		res, err := tx.ExecContext(ctx, `INSERT INTO users(email, password_hash, role, created_at) VALUES (?, ?, ?, ?)`,
			u.Email, u.PasswordHash, u.Role, ms(u.CreatedAt))
		if isUniqueViolation(err) {
			return store.User{}, fmt.Errorf("sqlite: consume invite %d: %w", inv.ID, store.ErrDuplicate)
		}
		if err != nil {
			return store.User{}, fmt.Errorf("sqlite: consume invite: %w", err)
		}
		if u.ID, err = res.LastInsertId(); err != nil {
			return store.User{}, fmt.Errorf("sqlite: consume invite: %w", err)
		}
		u.CreatedAt = fromMS(ms(now))
		for _, p := range inv.Projects {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO user_projects(user_id, project_id) SELECT ?, id FROM projects WHERE id = ?`, u.ID, p); err != nil {
				return store.User{}, fmt.Errorf("sqlite: consume invite: %w", err)
			}
		}
	case store.ResetKind:
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, passwordHash, inv.UserID); err != nil {
			return store.User{}, fmt.Errorf("sqlite: consume invite: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM logins WHERE user_id = ?`, inv.UserID); err != nil {
			return store.User{}, fmt.Errorf("sqlite: consume invite: %w", err)
		}
		if u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, inv.UserID)); errors.Is(err, sql.ErrNoRows) {
			return store.User{}, fmt.Errorf("sqlite: consume invite %d: user: %w", inv.ID, store.ErrNotFound)
		} else if err != nil {
			return store.User{}, fmt.Errorf("sqlite: consume invite: %w", err)
		}
	default:
		return store.User{}, fmt.Errorf("sqlite: consume invite %d: unknown kind %q", inv.ID, inv.Kind)
	}
	if err := tx.Commit(); err != nil {
		return store.User{}, fmt.Errorf("sqlite: consume invite: %w", err)
	}
	return u, nil
}

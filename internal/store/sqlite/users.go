package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// CreateUser inserts a user and returns it with its id.
func (db *DB) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	res, err := db.write.ExecContext(ctx,
		`INSERT INTO users(email, password_hash, role, created_at) VALUES (?, ?, ?, ?)`,
		u.Email, u.PasswordHash, u.Role, ms(u.CreatedAt))
	if isUniqueViolation(err) {
		return u, fmt.Errorf("sqlite: create user: %w", store.ErrDuplicate)
	}
	if err != nil {
		return u, fmt.Errorf("sqlite: create user: %w", err)
	}
	u.ID, err = res.LastInsertId()
	return u, err
}

const userCols = `id, email, password_hash, role, created_at`

func (db *DB) userWhere(ctx context.Context, where string, arg any) (store.User, error) {
	var u store.User
	var created int64
	err := db.read.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE `+where, arg).
		Scan(&u.ID, &u.Email, &u.PasswordHash, &u.Role, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("sqlite: user: %w", store.ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("sqlite: user: %w", err)
	}
	u.CreatedAt = fromMS(created)
	return u, nil
}

// UserByEmail finds a user by email, ignoring case.
func (db *DB) UserByEmail(ctx context.Context, email string) (store.User, error) {
	return db.userWhere(ctx, `email = ?`, email)
}

// UserByID finds a user by id.
func (db *DB) UserByID(ctx context.Context, id int64) (store.User, error) {
	return db.userWhere(ctx, `id = ?`, id)
}

// CountUsers returns how many users exist.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count users: %w", err)
	}
	return n, nil
}

// SetPassword replaces a user's password hash and ends the user's logins.
func (db *DB) SetPassword(ctx context.Context, userID int64, hash string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: set password: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, userID)
	if err != nil {
		return fmt.Errorf("sqlite: set password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlite: set password: %w", store.ErrNotFound)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM logins WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("sqlite: set password: %w", err)
	}
	return tx.Commit()
}

// CreateLogin stores a login session.
func (db *DB) CreateLogin(ctx context.Context, l store.Login) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO logins(token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		l.TokenHash, l.UserID, ms(l.CreatedAt), ms(l.ExpiresAt))
	if err != nil {
		return fmt.Errorf("sqlite: create login: %w", err)
	}
	return nil
}

// LoginByTokenHash finds a login that has not expired at now.
func (db *DB) LoginByTokenHash(ctx context.Context, hash string, now time.Time) (store.Login, error) {
	var l store.Login
	var created, expires int64
	err := db.read.QueryRowContext(ctx, `SELECT token_hash, user_id, created_at, expires_at FROM logins WHERE token_hash = ? AND expires_at > ?`, hash, ms(now)).
		Scan(&l.TokenHash, &l.UserID, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return l, fmt.Errorf("sqlite: login: %w", store.ErrNotFound)
	}
	if err != nil {
		return l, fmt.Errorf("sqlite: login: %w", err)
	}
	l.CreatedAt, l.ExpiresAt = fromMS(created), fromMS(expires)
	return l, nil
}

// DeleteLogin ends a login session.
func (db *DB) DeleteLogin(ctx context.Context, hash string) error {
	if _, err := db.write.ExecContext(ctx, `DELETE FROM logins WHERE token_hash = ?`, hash); err != nil {
		return fmt.Errorf("sqlite: delete login: %w", err)
	}
	return nil
}

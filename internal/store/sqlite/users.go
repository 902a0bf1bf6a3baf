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

const userCols = `id, email, password_hash, role, created_at, disabled_at`

type rowScanner interface{ Scan(dest ...any) error }

func scanUser(r rowScanner) (store.User, error) {
	var u store.User
	var created, disabled int64
	if err := r.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.Role, &created, &disabled); err != nil {
		return u, err
	}
	u.CreatedAt = fromMS(created)
	if disabled != 0 {
		u.DisabledAt = fromMS(disabled)
	}
	return u, nil
}

func (db *DB) userWhere(ctx context.Context, where string, arg any) (store.User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("sqlite: user: %w", store.ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("sqlite: user: %w", err)
	}
	return u, nil
}

// ListUsers returns every user, by id.
func (db *DB) ListUsers(ctx context.Context) ([]store.User, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list users: %w", err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UpdateUser changes a user's role and whether it is disabled; disabling ends its logins.
func (db *DB) UpdateUser(ctx context.Context, u store.User) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: update user: %w", err)
	}
	defer tx.Rollback()
	var disabled int64
	if !u.DisabledAt.IsZero() {
		disabled = ms(u.DisabledAt)
	}
	before, err := activeOwners(ctx, tx)
	if err != nil {
		return fmt.Errorf("sqlite: update user: %w", err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE users SET role = ?, disabled_at = ? WHERE id = ?`, u.Role, disabled, u.ID)
	if err != nil {
		return fmt.Errorf("sqlite: update user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlite: update user %d: %w", u.ID, store.ErrNotFound)
	}
	if err := ownerLeft(ctx, tx, before); err != nil {
		return fmt.Errorf("sqlite: update user %d: %w", u.ID, err)
	}
	if disabled != 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM logins WHERE user_id = ?`, u.ID); err != nil {
			return fmt.Errorf("sqlite: update user: %w", err)
		}
	}
	return tx.Commit()
}

// DeleteUser removes a user with its logins and project access.
func (db *DB) DeleteUser(ctx context.Context, id int64) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: delete user: %w", err)
	}
	defer tx.Rollback()
	before, err := activeOwners(ctx, tx)
	if err != nil {
		return fmt.Errorf("sqlite: delete user: %w", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("sqlite: delete user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlite: delete user %d: %w", id, store.ErrNotFound)
	}
	if err := ownerLeft(ctx, tx, before); err != nil {
		return fmt.Errorf("sqlite: delete user %d: %w", id, err)
	}
	return tx.Commit()
}

// activeOwners counts the owners who may log in. UpdateUser and DeleteUser count before and
// after their change and refuse one that takes the count from some to none; SQLite has one
// writer, so no other change interleaves.
func activeOwners(ctx context.Context, tx *sql.Tx) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = 'owner' AND disabled_at = 0`).Scan(&n)
	return n, err
}

// ownerLeft is ErrLastOwner when there were owners before the change and none after.
func ownerLeft(ctx context.Context, tx *sql.Tx, before int) error {
	if before == 0 {
		return nil
	}
	after, err := activeOwners(ctx, tx)
	if err != nil {
		return err
	}
	if after == 0 {
		return store.ErrLastOwner
	}
	return nil
}

// UserProjects returns the projects a user was given, sorted.
func (db *DB) UserProjects(ctx context.Context, userID int64) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT project_id FROM user_projects WHERE user_id = ? ORDER BY project_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: user projects: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, fmt.Errorf("sqlite: user projects: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SetUserProjects replaces the projects a user was given; an unknown user or project is
// ErrNotFound and changes nothing.
func (db *DB) SetUserProjects(ctx context.Context, userID int64, projects []string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: set user projects: %w", err)
	}
	defer tx.Rollback()
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = ?`, userID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: set user projects: user %d: %w", userID, store.ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("sqlite: set user projects: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_projects WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("sqlite: set user projects: %w", err)
	}
	for _, p := range projects {
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM projects WHERE id = ?`, p).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("sqlite: set user projects: project %q: %w", p, store.ErrNotFound)
		} else if err != nil {
			return fmt.Errorf("sqlite: set user projects: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO user_projects(user_id, project_id) VALUES (?, ?)`, userID, p); err != nil {
			return fmt.Errorf("sqlite: set user projects: %w", err)
		}
	}
	return tx.Commit()
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

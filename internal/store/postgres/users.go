package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/internal/store"
)

const userCols = `id, email, password_hash, role, created_at, disabled_at`

func scanUser(r pgx.Row) (store.User, error) {
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

// ListUsers returns every user, by id.
func (db *DB) ListUsers(ctx context.Context) ([]store.User, error) {
	rows, _ := db.pool.Query(ctx, `SELECT `+userCols+` FROM users ORDER BY id`)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.User, error) { return scanUser(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list users: %w", err)
	}
	return out, nil
}

// UpdateUser changes a user's role and whether it is disabled; disabling ends its logins.
func (db *DB) UpdateUser(ctx context.Context, u store.User) error {
	var disabled int64
	if !u.DisabledAt.IsZero() {
		disabled = ms(u.DisabledAt)
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		owners, err := lockOwners(ctx, tx)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE users SET role = $1, disabled_at = $2 WHERE id = $3`, clean(u.Role), disabled, u.ID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		if len(owners) == 1 && owners[0] == u.ID && (u.Role != "owner" || disabled != 0) {
			return store.ErrLastOwner
		}
		if disabled != 0 {
			_, err = tx.Exec(ctx, `DELETE FROM logins WHERE user_id = $1`, u.ID)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: update user %d: %w", u.ID, err)
	}
	return nil
}

// DeleteUser removes a user with its logins and project access.
func (db *DB) DeleteUser(ctx context.Context, id int64) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		owners, err := lockOwners(ctx, tx)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM users WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		if len(owners) == 1 && owners[0] == id {
			return store.ErrLastOwner
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: delete user %d: %w", id, err)
	}
	return nil
}

// lockOwners returns the active owners' ids, locking their rows until the transaction ends.
// Two transactions each demoting one of the last two owners therefore take turns: the second
// waits for the first, then (READ COMMITTED re-reads locked rows) no longer counts the one
// the first demoted, sees its own target as the last owner, and is refused.
func lockOwners(ctx context.Context, tx pgx.Tx) ([]int64, error) {
	rows, _ := tx.Query(ctx, `SELECT id FROM users WHERE role = 'owner' AND disabled_at = 0 ORDER BY id FOR UPDATE`)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("lock owners: %w", err)
	}
	return ids, nil
}

// UserProjects returns the projects a user was given, sorted.
func (db *DB) UserProjects(ctx context.Context, userID int64) ([]string, error) {
	rows, _ := db.pool.Query(ctx, `SELECT project_id FROM user_projects WHERE user_id = $1 ORDER BY project_id`, userID)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: user projects: %w", err)
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// SetUserProjects replaces the projects a user was given; an unknown user or project is
// ErrNotFound and changes nothing.
func (db *DB) SetUserProjects(ctx context.Context, userID int64, projects []string) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, userID).Scan(&one); errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("user %d: %w", userID, store.ErrNotFound)
		} else if err != nil {
			return err
		}
		var known int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM projects WHERE id = ANY($1::text[])`, cleanAll(projects)).Scan(&known); err != nil {
			return err
		}
		if want := countDistinct(projects); known != want {
			return fmt.Errorf("a project of %q: %w", projects, store.ErrNotFound)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM user_projects WHERE user_id = $1`, userID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO user_projects(user_id, project_id) SELECT $1, p FROM unnest($2::text[]) p ON CONFLICT DO NOTHING`, userID, cleanAll(projects))
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: set user projects: %w", err)
	}
	return nil
}

func countDistinct(ss []string) int {
	seen := make(map[string]bool, len(ss))
	for _, s := range ss {
		seen[clean(s)] = true
	}
	return len(seen)
}

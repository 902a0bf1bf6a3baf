package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/reelhq/reel/internal/store"
)

const commentCols = `id, session_id, project_id, author_id, author, at_ms, body, created_at, edited_at`

func scanComment(row pgx.Row) (store.Comment, error) {
	var c store.Comment
	var created, edited int64
	if err := row.Scan(&c.ID, &c.SessionID, &c.ProjectID, &c.AuthorID, &c.Author, &c.AtMS, &c.Body, &created, &edited); err != nil {
		return c, err
	}
	c.CreatedAt = fromMS(created)
	if edited != 0 {
		c.EditedAt = fromMS(edited)
	}
	return c, nil
}

// CreateComment stores a comment on an existing session of its project.
func (db *DB) CreateComment(ctx context.Context, c store.Comment) error {
	res, err := db.pool.Exec(ctx, `INSERT INTO comments(`+commentCols+`)
		SELECT $1, id, project_id, $2, $3, $4, $5, $6, 0 FROM sessions WHERE id = $7 AND project_id = $8`,
		clean(c.ID), c.AuthorID, clean(c.Author), c.AtMS, clean(c.Body), ms(c.CreatedAt), clean(c.SessionID), clean(c.ProjectID))
	if isUniqueViolation(err) {
		return fmt.Errorf("postgres: create comment: %w", store.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("postgres: create comment: %w", err)
	}
	if res.RowsAffected() == 0 {
		return fmt.Errorf("postgres: create comment on %s: %w", c.SessionID, store.ErrNotFound)
	}
	return nil
}

// Comment finds a comment by its id.
func (db *DB) Comment(ctx context.Context, id string) (store.Comment, error) {
	c, err := scanComment(db.pool.QueryRow(ctx, `SELECT `+commentCols+` FROM comments WHERE id = $1`, clean(id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("postgres: comment %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("postgres: comment %s: %w", id, err)
	}
	return c, nil
}

// SessionComments lists a session's comments by moment, then by when they were written.
func (db *DB) SessionComments(ctx context.Context, sessionID string) ([]store.Comment, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+commentCols+` FROM comments WHERE session_id = $1 ORDER BY at_ms, created_at, id`, clean(sessionID))
	if err != nil {
		return nil, fmt.Errorf("postgres: session comments: %w", err)
	}
	defer rows.Close()
	out := []store.Comment{}
	for rows.Next() {
		c, err := scanComment(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: session comments: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// EditComment replaces a comment's body.
func (db *DB) EditComment(ctx context.Context, id, body string, at time.Time) (store.Comment, error) {
	c, err := scanComment(db.pool.QueryRow(ctx, `UPDATE comments SET body = $1, edited_at = $2 WHERE id = $3 RETURNING `+commentCols, clean(body), ms(at), clean(id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("postgres: edit comment %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("postgres: edit comment %s: %w", id, err)
	}
	return c, nil
}

// DeleteComment removes a comment.
func (db *DB) DeleteComment(ctx context.Context, id string) error {
	res, err := db.pool.Exec(ctx, `DELETE FROM comments WHERE id = $1`, clean(id))
	if err != nil {
		return fmt.Errorf("postgres: delete comment %s: %w", id, err)
	}
	if res.RowsAffected() == 0 {
		return fmt.Errorf("postgres: delete comment %s: %w", id, store.ErrNotFound)
	}
	return nil
}

func exportComments(ctx context.Context, tx pgx.Tx, fn func(store.Record) error) error {
	var all []store.Comment
	err := each(ctx, tx, `SELECT `+commentCols+` FROM comments ORDER BY id`, nil, func(r pgx.Rows) error {
		c, err := scanComment(r)
		all = append(all, c)
		return err
	})
	if err != nil {
		return err
	}
	for i := range all {
		if err := fn(store.Record{Comment: &all[i]}); err != nil {
			return err
		}
	}
	return nil
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/reelhq/reel/internal/store"
)

const commentCols = `id, session_id, project_id, author_id, author, at_ms, body, created_at, edited_at`

func scanComment(row interface{ Scan(...any) error }) (store.Comment, error) {
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
	res, err := db.write.ExecContext(ctx, `INSERT INTO comments(`+commentCols+`)
		SELECT ?, id, project_id, ?, ?, ?, ?, ?, 0 FROM sessions WHERE id = ? AND project_id = ?`,
		c.ID, c.AuthorID, c.Author, c.AtMS, c.Body, ms(c.CreatedAt), c.SessionID, c.ProjectID)
	if isUniqueViolation(err) {
		return fmt.Errorf("sqlite: create comment: %w", store.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("sqlite: create comment: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlite: create comment on %s: %w", c.SessionID, store.ErrNotFound)
	}
	return nil
}

// Comment finds a comment by its id.
func (db *DB) Comment(ctx context.Context, id string) (store.Comment, error) {
	c, err := scanComment(db.read.QueryRowContext(ctx, `SELECT `+commentCols+` FROM comments WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("sqlite: comment %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("sqlite: comment %s: %w", id, err)
	}
	return c, nil
}

// SessionComments lists a session's comments by moment, then by when they were written.
func (db *DB) SessionComments(ctx context.Context, sessionID string) ([]store.Comment, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+commentCols+` FROM comments WHERE session_id = ? ORDER BY at_ms, created_at, id`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: session comments: %w", err)
	}
	defer rows.Close()
	out := []store.Comment{}
	for rows.Next() {
		c, err := scanComment(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: session comments: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// EditComment replaces a comment's body.
func (db *DB) EditComment(ctx context.Context, id, body string, at time.Time) (store.Comment, error) {
	c, err := scanComment(db.write.QueryRowContext(ctx, `UPDATE comments SET body = ?, edited_at = ? WHERE id = ? RETURNING `+commentCols, body, ms(at), id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("sqlite: edit comment %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("sqlite: edit comment %s: %w", id, err)
	}
	return c, nil
}

// DeleteComment removes a comment.
func (db *DB) DeleteComment(ctx context.Context, id string) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM comments WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("sqlite: delete comment %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlite: delete comment %s: %w", id, store.ErrNotFound)
	}
	return nil
}

func exportComments(ctx context.Context, tx *sql.Tx, fn func(store.Record) error) error {
	var all []store.Comment
	err := each(ctx, tx, `SELECT `+commentCols+` FROM comments ORDER BY id`, nil, func(r *sql.Rows) error {
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

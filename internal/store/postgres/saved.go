package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/reelhq/reel/internal/store"
)

var _ store.Saved = (*DB)(nil)

// CreateSavedSearch stores a search; its owner counts as having visited it at creation.
func (db *DB) CreateSavedSearch(ctx context.Context, s store.SavedSearch) (store.SavedSearch, error) {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO saved_searches(project_id, name, query, owner_id, shared, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
			s.ProjectID, clean(s.Name), clean(s.Query), s.OwnerID, s.Shared, ms(s.CreatedAt)).Scan(&s.ID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO saved_search_visits(search_id, user_id, visited_at) VALUES ($1, $2, $3)`, s.ID, s.OwnerID, ms(s.CreatedAt))
		return err
	})
	if err != nil {
		return s, fmt.Errorf("postgres: create saved search: %w", err)
	}
	s.UpdatedAt, s.VisitedAt = s.CreatedAt, s.CreatedAt
	return s, nil
}

const savedCols = `s.id, s.project_id, s.name, s.query, s.owner_id, s.shared, s.created_at, s.updated_at, COALESCE(v.visited_at, 0)`

// savedFrom joins the asking user's visits (the first parameter).
const savedFrom = ` FROM saved_searches s LEFT JOIN saved_search_visits v ON v.search_id = s.id AND v.user_id = $1`

func scanSaved(row pgx.Row) (store.SavedSearch, error) {
	var s store.SavedSearch
	var created, updated, visited int64
	err := row.Scan(&s.ID, &s.ProjectID, &s.Name, &s.Query, &s.OwnerID, &s.Shared, &created, &updated, &visited)
	s.CreatedAt, s.UpdatedAt, s.VisitedAt = fromMS(created), fromMS(updated), optTime(visited)
	return s, err
}

// SavedSearches lists what userID may see of a project's searches.
func (db *DB) SavedSearches(ctx context.Context, projectID string, userID int64) ([]store.SavedSearch, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+savedCols+savedFrom+`
		WHERE s.project_id = $2 AND (s.shared OR s.owner_id = $1) ORDER BY `+fmt.Sprintf(asciiLower, "s.name")+`, s.id`, userID, projectID)
	if err != nil {
		return nil, fmt.Errorf("postgres: saved searches: %w", err)
	}
	defer rows.Close()
	var out []store.SavedSearch
	for rows.Next() {
		s, err := scanSaved(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: saved searches: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// SavedSearch returns one search if userID may see it.
func (db *DB) SavedSearch(ctx context.Context, id, userID int64) (store.SavedSearch, error) {
	s, err := scanSaved(db.pool.QueryRow(ctx, `SELECT `+savedCols+savedFrom+` WHERE s.id = $2 AND (s.shared OR s.owner_id = $1)`, userID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return s, fmt.Errorf("postgres: saved search %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return s, fmt.Errorf("postgres: saved search %d: %w", id, err)
	}
	return s, nil
}

func affected(tag pgconn.CommandTag, err error, what string) error {
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: %s: %w", what, store.ErrNotFound)
	}
	return nil
}

// UpdateSavedSearch changes a search's name, query and sharing.
func (db *DB) UpdateSavedSearch(ctx context.Context, s store.SavedSearch) error {
	res, err := db.pool.Exec(ctx, `UPDATE saved_searches SET name = $1, query = $2, shared = $3, updated_at = $4 WHERE id = $5`,
		clean(s.Name), clean(s.Query), s.Shared, ms(s.UpdatedAt), s.ID)
	return affected(res, err, fmt.Sprintf("update saved search %d", s.ID))
}

// DeleteSavedSearch removes a search with its visits and the alert rules that watch it.
func (db *DB) DeleteSavedSearch(ctx context.Context, id int64) error {
	res, err := db.pool.Exec(ctx, `DELETE FROM saved_searches WHERE id = $1`, id)
	return affected(res, err, fmt.Sprintf("delete saved search %d", id))
}

// VisitSavedSearch records userID's latest run of a search.
func (db *DB) VisitSavedSearch(ctx context.Context, id, userID int64, at time.Time) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO saved_search_visits(search_id, user_id, visited_at) VALUES ($1, $2, $3)
		ON CONFLICT(search_id, user_id) DO UPDATE SET visited_at = GREATEST(saved_search_visits.visited_at, excluded.visited_at)`, id, userID, ms(at))
	if err != nil {
		if isForeignKeyViolation(err) {
			return fmt.Errorf("postgres: visit saved search %d: %w", id, store.ErrNotFound)
		}
		return fmt.Errorf("postgres: visit saved search %d: %w", id, err)
	}
	return nil
}

// CountSavedSearches counts a project's searches, private ones included.
func (db *DB) CountSavedSearches(ctx context.Context, projectID string) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM saved_searches WHERE project_id = $1`, projectID).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count saved searches: %w", err)
	}
	return n, nil
}

// CreatePlaylist stores an empty playlist.
func (db *DB) CreatePlaylist(ctx context.Context, p store.Playlist) (store.Playlist, error) {
	err := db.pool.QueryRow(ctx, `INSERT INTO playlists(project_id, name, owner_id, shared, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`,
		p.ProjectID, clean(p.Name), p.OwnerID, p.Shared, ms(p.CreatedAt)).Scan(&p.ID)
	if err != nil {
		return p, fmt.Errorf("postgres: create playlist: %w", err)
	}
	p.UpdatedAt, p.Sessions = p.CreatedAt, 0
	return p, nil
}

const playlistCols = `p.id, p.project_id, p.name, p.owner_id, p.shared, p.created_at, p.updated_at,
	(SELECT COUNT(*) FROM playlist_sessions ps WHERE ps.playlist_id = p.id)`

func scanPlaylist(row pgx.Row) (store.Playlist, error) {
	var p store.Playlist
	var created, updated int64
	err := row.Scan(&p.ID, &p.ProjectID, &p.Name, &p.OwnerID, &p.Shared, &created, &updated, &p.Sessions)
	p.CreatedAt, p.UpdatedAt = fromMS(created), fromMS(updated)
	return p, err
}

// Playlists lists what userID may see of a project's playlists.
func (db *DB) Playlists(ctx context.Context, projectID string, userID int64) ([]store.Playlist, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+playlistCols+` FROM playlists p
		WHERE p.project_id = $1 AND (p.shared OR p.owner_id = $2) ORDER BY `+fmt.Sprintf(asciiLower, "p.name")+`, p.id`, projectID, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: playlists: %w", err)
	}
	defer rows.Close()
	var out []store.Playlist
	for rows.Next() {
		p, err := scanPlaylist(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: playlists: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Playlist returns one playlist if userID may see it.
func (db *DB) Playlist(ctx context.Context, id, userID int64) (store.Playlist, error) {
	p, err := scanPlaylist(db.pool.QueryRow(ctx, `SELECT `+playlistCols+` FROM playlists p WHERE p.id = $1 AND (p.shared OR p.owner_id = $2)`, id, userID))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("postgres: playlist %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("postgres: playlist %d: %w", id, err)
	}
	return p, nil
}

// UpdatePlaylist changes a playlist's name and sharing.
func (db *DB) UpdatePlaylist(ctx context.Context, p store.Playlist) error {
	res, err := db.pool.Exec(ctx, `UPDATE playlists SET name = $1, shared = $2, updated_at = $3 WHERE id = $4`,
		clean(p.Name), p.Shared, ms(p.UpdatedAt), p.ID)
	return affected(res, err, fmt.Sprintf("update playlist %d", p.ID))
}

// DeletePlaylist removes a playlist and its pins (the sessions stay).
func (db *DB) DeletePlaylist(ctx context.Context, id int64) error {
	res, err := db.pool.Exec(ctx, `DELETE FROM playlists WHERE id = $1`, id)
	return affected(res, err, fmt.Sprintf("delete playlist %d", id))
}

// CountPlaylists counts a project's playlists, private ones included.
func (db *DB) CountPlaylists(ctx context.Context, projectID string) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM playlists WHERE project_id = $1`, projectID).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count playlists: %w", err)
	}
	return n, nil
}

// PinSession adds a session to the end of a playlist, or updates the note of an existing pin.
func (db *DB) PinSession(ctx context.Context, playlistID int64, pin store.Pin) (store.Pin, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return pin, fmt.Errorf("postgres: pin session: %w", err)
	}
	defer tx.Rollback(context.Background())
	var project string
	err = tx.QueryRow(ctx, `SELECT s.project_id FROM sessions s JOIN playlists p ON p.project_id = s.project_id WHERE s.id = $1 AND p.id = $2 FOR UPDATE OF p`,
		clean(pin.Session.ID), playlistID).Scan(&project)
	if errors.Is(err, pgx.ErrNoRows) {
		return pin, fmt.Errorf("postgres: pin session %s to playlist %d: %w", pin.Session.ID, playlistID, store.ErrNotFound)
	}
	if err != nil {
		return pin, fmt.Errorf("postgres: pin session: %w", err)
	}
	var pos, added, by int64
	err = tx.QueryRow(ctx, `INSERT INTO playlist_sessions(playlist_id, session_id, position, note, added_at, added_by)
		VALUES ($1, $2, (SELECT COALESCE(MAX(position), 0) + 1 FROM playlist_sessions WHERE playlist_id = $1), $3, $4, $5)
		ON CONFLICT(playlist_id, session_id) DO UPDATE SET note = excluded.note
		RETURNING position, added_at, added_by`, playlistID, clean(pin.Session.ID), clean(pin.Note), ms(pin.AddedAt), pin.AddedBy).Scan(&pos, &added, &by)
	if err != nil {
		return pin, fmt.Errorf("postgres: pin session: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE playlists SET updated_at = $1 WHERE id = $2`, ms(pin.AddedAt), playlistID); err != nil {
		return pin, fmt.Errorf("postgres: pin session: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return pin, fmt.Errorf("postgres: pin session: %w", err)
	}
	pin.Position, pin.AddedAt, pin.AddedBy = int(pos), fromMS(added), by
	return pin, nil
}

// UnpinSession removes a session from a playlist.
func (db *DB) UnpinSession(ctx context.Context, playlistID int64, sessionID string) error {
	res, err := db.pool.Exec(ctx, `DELETE FROM playlist_sessions WHERE playlist_id = $1 AND session_id = $2`, playlistID, clean(sessionID))
	return affected(res, err, fmt.Sprintf("unpin session %s from playlist %d", sessionID, playlistID))
}

// Pins returns a playlist's sessions in order.
func (db *DB) Pins(ctx context.Context, playlistID int64) ([]store.Pin, error) {
	rows, err := db.pool.Query(ctx, `SELECT ps.position, ps.note, ps.added_at, ps.added_by, `+sessionColsS+`
		FROM playlist_sessions ps JOIN sessions s ON s.id = ps.session_id
		WHERE ps.playlist_id = $1 ORDER BY ps.position, ps.session_id`, playlistID)
	if err != nil {
		return nil, fmt.Errorf("postgres: pins: %w", err)
	}
	defer rows.Close()
	var out []store.Pin
	for rows.Next() {
		var p store.Pin
		var added int64
		s, err := scanSession(rows, &p.Position, &p.Note, &added, &p.AddedBy)
		if err != nil {
			return nil, fmt.Errorf("postgres: pins: %w", err)
		}
		p.Session, p.AddedAt = s, fromMS(added)
		out = append(out, p)
	}
	return out, rows.Err()
}

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

var _ store.Funnels = (*DB)(nil)

// indexFlags keeps a batch's flag variants, each pair once per session with its first time, up
// to store.MaxFlags pairs.
func indexFlags(ctx context.Context, tx querier, b store.Batch) error {
	if len(b.Flags) == 0 {
		return nil
	}
	id := b.Chunk.SessionID
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM session_flags WHERE session_id = ?`, id).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: index flags: %w", err)
	}
	for _, f := range b.Flags {
		if n >= store.MaxFlags {
			break
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO session_flags(session_id, name, variant, first_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			id, f.Name, f.Variant, ms(f.FirstAt))
		if err != nil {
			return fmt.Errorf("sqlite: index flag %q: %w", f.Name, err)
		}
		if k, _ := res.RowsAffected(); k > 0 {
			n++
			continue
		}
		// A pair the session had: a batch that arrived late may bring an earlier time.
		if _, err := tx.ExecContext(ctx, `UPDATE session_flags SET first_at = MIN(first_at, ?) WHERE session_id = ? AND name = ? AND variant = ?`,
			ms(f.FirstAt), id, f.Name, f.Variant); err != nil {
			return fmt.Errorf("sqlite: index flag %q: %w", f.Name, err)
		}
	}
	return nil
}

// propsJSON encodes an event's properties for the props column.
func propsJSON(p map[string]string) string {
	if len(p) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(p)
	return string(b)
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// SaveSteps replaces a session's clicks and track events.
func (db *DB) SaveSteps(ctx context.Context, sessionID string, steps []store.Step) error {
	return db.saveSteps(ctx, sessionID, steps, false)
}

// SaveLiveSteps is SaveSteps for live analysis: ErrConflict once compaction has taken in
// every batch (its steps are then the final ones).
func (db *DB) SaveLiveSteps(ctx context.Context, sessionID string, steps []store.Step) error {
	return db.saveSteps(ctx, sessionID, steps, true)
}

func (db *DB) saveSteps(ctx context.Context, sessionID string, steps []store.Step, live bool) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: save steps: %w", err)
	}
	defer tx.Rollback()
	var pending bool
	if err := tx.QueryRowContext(ctx, `SELECT last_batch_at > compacted_at FROM sessions WHERE id = ?`, sessionID).Scan(&pending); errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: save steps of %s: %w", sessionID, store.ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("sqlite: save steps of %s: %w", sessionID, err)
	}
	if live && !pending {
		return fmt.Errorf("sqlite: save steps of %s: compacted since it was read: %w", sessionID, store.ErrConflict)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM session_steps WHERE session_id = ?`, sessionID); err != nil {
		return fmt.Errorf("sqlite: save steps of %s: %w", sessionID, err)
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO session_steps(session_id, seq, at, kind, path, name, text, props) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("sqlite: save steps of %s: %w", sessionID, err)
	}
	defer stmt.Close()
	for i, s := range steps[:min(len(steps), store.MaxSteps)] {
		if _, err := stmt.ExecContext(ctx, sessionID, i, ms(s.At), s.Kind, cut(s.Path, 1024), cut(s.Name, store.MaxStepText*2), cut(s.Text, store.MaxStepText), propsJSON(s.Props)); err != nil {
			return fmt.Errorf("sqlite: save steps of %s: %w", sessionID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: save steps of %s: %w", sessionID, err)
	}
	return nil
}

// Journeys reads the page views and steps of a window's sessions: two scans in session order,
// merged by time.
func (db *DB) Journeys(ctx context.Context, projectID string, from, to time.Time, limit int) ([]store.Journey, error) {
	const window = `SELECT id, started_at FROM sessions WHERE project_id = ? AND started_at >= ? AND started_at < ? ORDER BY started_at DESC, id DESC LIMIT ?`
	args := []any{projectID, ms(from), ms(to), limit}
	var r store.JourneyReader
	rows, err := db.read.QueryContext(ctx, window, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: journeys: %w", err)
	}
	for rows.Next() {
		var id string
		var started int64
		if err := rows.Scan(&id, &started); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: journeys: %w", err)
		}
		r.Session(id, fromMS(started))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: journeys: %w", err)
	}
	if r.Empty() {
		return nil, nil
	}
	rows, err = db.read.QueryContext(ctx, `SELECT p.session_id, p.at, p.url FROM session_pages p JOIN (`+window+`) s ON s.id = p.session_id
		ORDER BY p.session_id, p.at, p.rowid`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: journeys: pages: %w", err)
	}
	for rows.Next() {
		var id, url string
		var at int64
		if err := rows.Scan(&id, &at, &url); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: journeys: pages: %w", err)
		}
		r.Page(id, fromMS(at), urlPath(url))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: journeys: pages: %w", err)
	}
	rows, err = db.read.QueryContext(ctx, `SELECT t.session_id, t.at, t.kind, t.path, t.name, t.text, t.props FROM session_steps t JOIN (`+window+`) s ON s.id = t.session_id
		ORDER BY t.session_id, t.seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: journeys: steps: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, props string
		var at int64
		var s store.Step
		if err := rows.Scan(&id, &at, &s.Kind, &s.Path, &s.Name, &s.Text, &props); err != nil {
			return nil, fmt.Errorf("sqlite: journeys: steps: %w", err)
		}
		s.At = fromMS(at)
		r.Step(id, s, props)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: journeys: steps: %w", err)
	}
	return r.Journeys(), nil
}

// SessionFlags lists a session's flag variants.
func (db *DB) SessionFlags(ctx context.Context, sessionID string) ([]store.SessionFlag, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT name, variant, first_at FROM session_flags WHERE session_id = ? ORDER BY first_at, name, variant`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: session flags: %w", err)
	}
	defer rows.Close()
	var out []store.SessionFlag
	for rows.Next() {
		var f store.SessionFlag
		var at int64
		if err := rows.Scan(&f.Name, &f.Variant, &at); err != nil {
			return nil, fmt.Errorf("sqlite: session flags: %w", err)
		}
		f.FirstAt = fromMS(at)
		out = append(out, f)
	}
	return out, rows.Err()
}

// FlagCounts counts a window's sessions by flag and variant.
func (db *DB) FlagCounts(ctx context.Context, projectID string, from, to time.Time) ([]store.FlagCount, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT f.name, f.variant, COUNT(*) FROM session_flags f JOIN sessions s ON s.id = f.session_id
		WHERE s.project_id = ? AND s.started_at >= ? AND s.started_at < ? GROUP BY f.name, f.variant ORDER BY f.name, f.variant LIMIT 1000`, projectID, ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("sqlite: flag counts: %w", err)
	}
	defer rows.Close()
	var out []store.FlagCount
	for rows.Next() {
		var c store.FlagCount
		if err := rows.Scan(&c.Name, &c.Variant, &c.Sessions); err != nil {
			return nil, fmt.Errorf("sqlite: flag counts: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Exposures lists a window's sessions with a flag, each with its first variant.
func (db *DB) Exposures(ctx context.Context, projectID, flag string, from, to time.Time, limit int) ([]store.Exposure, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT s.id, s.started_at, s.errors, s.friction,
			(SELECT f2.variant FROM session_flags f2 WHERE f2.session_id = s.id AND f2.name = ?1 ORDER BY f2.first_at, f2.variant LIMIT 1),
			v.lcp, v.inp, v.cls, v.fcp, v.ttfb
		FROM sessions s
		LEFT JOIN (SELECT session_id, MAX(lcp) AS lcp, MAX(inp) AS inp, MAX(cls) AS cls, MAX(fcp) AS fcp, MAX(ttfb) AS ttfb
			FROM page_vitals WHERE project_id = ?2 AND page_at >= ?3 GROUP BY session_id) v ON v.session_id = s.id
		WHERE s.project_id = ?2 AND s.started_at >= ?3 AND s.started_at < ?4
			AND s.id IN (SELECT session_id FROM session_flags WHERE name = ?1)
		ORDER BY s.started_at DESC, s.id DESC LIMIT ?5`, flag, projectID, ms(from), ms(to), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: exposures of %q: %w", flag, err)
	}
	defer rows.Close()
	var out []store.Exposure
	for rows.Next() {
		var e store.Exposure
		var started int64
		var vitals [len(store.VitalMetrics)]*float64
		if err := rows.Scan(&e.SessionID, &started, &e.Errors, &e.Friction, &e.Variant, &vitals[0], &vitals[1], &vitals[2], &vitals[3], &vitals[4]); err != nil {
			return nil, fmt.Errorf("sqlite: exposures of %q: %w", flag, err)
		}
		e.StartedAt = fromMS(started)
		e.Vitals = store.WorstVitals(vitals)
		out = append(out, e)
	}
	return out, rows.Err()
}

// CreateFunnel stores a funnel.
func (db *DB) CreateFunnel(ctx context.Context, f store.Funnel) (store.Funnel, error) {
	res, err := db.write.ExecContext(ctx, `INSERT INTO funnels(project_id, name, definition, owner_id, shared, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		f.ProjectID, f.Name, f.Definition, f.OwnerID, boolInt(f.Shared), ms(f.CreatedAt), ms(f.CreatedAt))
	if err != nil {
		if isForeignKeyViolation(err) {
			return f, fmt.Errorf("sqlite: create funnel: project %s: %w", f.ProjectID, store.ErrNotFound)
		}
		return f, fmt.Errorf("sqlite: create funnel: %w", err)
	}
	if f.ID, err = res.LastInsertId(); err != nil {
		return f, fmt.Errorf("sqlite: create funnel: %w", err)
	}
	f.UpdatedAt = f.CreatedAt
	return f, nil
}

const funnelCols = `id, project_id, name, definition, owner_id, shared, created_at, updated_at`

func scanFunnel(row interface{ Scan(...any) error }) (store.Funnel, error) {
	var f store.Funnel
	var created, updated int64
	err := row.Scan(&f.ID, &f.ProjectID, &f.Name, &f.Definition, &f.OwnerID, &f.Shared, &created, &updated)
	f.CreatedAt, f.UpdatedAt = fromMS(created), fromMS(updated)
	return f, err
}

// SavedFunnels lists what userID may see of a project's funnels.
func (db *DB) SavedFunnels(ctx context.Context, projectID string, userID int64) ([]store.Funnel, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+funnelCols+` FROM funnels WHERE project_id = ? AND (shared = 1 OR owner_id = ?)
		ORDER BY name COLLATE NOCASE, id`, projectID, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: funnels: %w", err)
	}
	defer rows.Close()
	var out []store.Funnel
	for rows.Next() {
		f, err := scanFunnel(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: funnels: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// SavedFunnel returns one funnel if userID may see it.
func (db *DB) SavedFunnel(ctx context.Context, id, userID int64) (store.Funnel, error) {
	f, err := scanFunnel(db.read.QueryRowContext(ctx, `SELECT `+funnelCols+` FROM funnels WHERE id = ? AND (shared = 1 OR owner_id = ?)`, id, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return f, fmt.Errorf("sqlite: funnel %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return f, fmt.Errorf("sqlite: funnel %d: %w", id, err)
	}
	return f, nil
}

// UpdateFunnel changes a funnel's name, definition and sharing.
func (db *DB) UpdateFunnel(ctx context.Context, f store.Funnel) error {
	res, err := db.write.ExecContext(ctx, `UPDATE funnels SET name = ?, definition = ?, shared = ?, updated_at = ? WHERE id = ?`,
		f.Name, f.Definition, boolInt(f.Shared), ms(f.UpdatedAt), f.ID)
	return affected(res, err, fmt.Sprintf("update funnel %d", f.ID))
}

// DeleteFunnel removes a funnel.
func (db *DB) DeleteFunnel(ctx context.Context, id int64) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM funnels WHERE id = ?`, id)
	return affected(res, err, fmt.Sprintf("delete funnel %d", id))
}

// CountFunnels counts a project's funnels, private ones included.
func (db *DB) CountFunnels(ctx context.Context, projectID string) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM funnels WHERE project_id = ?`, projectID).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count funnels: %w", err)
	}
	return n, nil
}

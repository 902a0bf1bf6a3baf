package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/internal/store"
)

var _ store.Funnels = (*DB)(nil)

// queueFlags keeps a batch's flag variants: a pair the session had keeps its earliest time; new
// pairs are added in the batch's order until the session has store.MaxFlags.
func queueFlags(q *pgx.Batch, id string, flags []store.SessionFlag) {
	names, variants, ats := make([]string, len(flags)), make([]string, len(flags)), make([]int64, len(flags))
	for i, f := range flags {
		names[i], variants[i], ats[i] = clean(f.Name), clean(f.Variant), ms(f.FirstAt)
	}
	q.Queue(`UPDATE session_flags f SET first_at = LEAST(f.first_at, u.a)
		FROM unnest($2::text[], $3::text[], $4::bigint[]) AS u(n, v, a)
		WHERE f.session_id = $1 AND f.name = u.n AND f.variant = u.v`, id, names, variants, ats)
	q.Queue(`INSERT INTO session_flags(session_id, name, variant, first_at)
		SELECT $1, n, v, a FROM unnest($2::text[], $3::text[], $4::bigint[]) WITH ORDINALITY AS u(n, v, a, o)
		WHERE NOT EXISTS (SELECT 1 FROM session_flags f WHERE f.session_id = $1 AND f.name = u.n AND f.variant = u.v)
		ORDER BY o
		LIMIT GREATEST(0, $5 - (SELECT COUNT(*) FROM session_flags WHERE session_id = $1))
		ON CONFLICT DO NOTHING`, id, names, variants, ats, store.MaxFlags)
}

func propsJSON(p map[string]string) string {
	if len(p) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(p)
	return clean(string(b))
}

func cut(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return clean(s)
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
	steps = steps[:min(len(steps), store.MaxSteps)]
	seqs, ats := make([]int32, len(steps)), make([]int64, len(steps))
	kinds, paths, names, texts, props := make([]string, len(steps)), make([]string, len(steps)), make([]string, len(steps)), make([]string, len(steps)), make([]string, len(steps))
	for i, s := range steps {
		seqs[i], ats[i] = int32(i), ms(s.At)
		kinds[i], paths[i], names[i], texts[i], props[i] = cut(s.Kind, 16), cut(s.Path, 1024), cut(s.Name, store.MaxStepText*2), cut(s.Text, store.MaxStepText), propsJSON(s.Props)
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var pending bool
		if err := tx.QueryRow(ctx, `SELECT last_batch_at > compacted_at FROM sessions WHERE id = $1 FOR UPDATE`, sessionID).Scan(&pending); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return store.ErrNotFound
			}
			return err
		}
		if live && !pending {
			return fmt.Errorf("compacted since it was read: %w", store.ErrConflict)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM session_steps WHERE session_id = $1`, sessionID); err != nil {
			return err
		}
		if len(steps) == 0 {
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO session_steps(session_id, seq, at, kind, path, name, text, props)
			SELECT $1, * FROM unnest($2::integer[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])`,
			sessionID, seqs, ats, kinds, paths, names, texts, props)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: save steps of %s: %w", sessionID, err)
	}
	return nil
}

// Journeys reads the page views and steps of a window's sessions.
func (db *DB) Journeys(ctx context.Context, projectID string, from, to time.Time, limit int) ([]store.Journey, error) {
	const window = `SELECT id, started_at FROM sessions WHERE project_id = $1 AND started_at >= $2 AND started_at < $3 ORDER BY started_at DESC, id DESC LIMIT $4`
	args := []any{projectID, ms(from), ms(to), limit}
	var r store.JourneyReader
	rows, err := db.pool.Query(ctx, window, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: journeys: %w", err)
	}
	for rows.Next() {
		var id string
		var started int64
		if err := rows.Scan(&id, &started); err != nil {
			rows.Close()
			return nil, fmt.Errorf("postgres: journeys: %w", err)
		}
		r.Session(id, fromMS(started))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: journeys: %w", err)
	}
	if r.Empty() {
		return nil, nil
	}
	rows, err = db.pool.Query(ctx, `SELECT p.session_id, p.at, p.path FROM session_pages p JOIN (`+window+`) s ON s.id = p.session_id
		ORDER BY p.session_id, p.at, p.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: journeys: pages: %w", err)
	}
	for rows.Next() {
		var id, path string
		var at int64
		if err := rows.Scan(&id, &at, &path); err != nil {
			rows.Close()
			return nil, fmt.Errorf("postgres: journeys: pages: %w", err)
		}
		r.Page(id, fromMS(at), path)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: journeys: pages: %w", err)
	}
	rows, err = db.pool.Query(ctx, `SELECT t.session_id, t.at, t.kind, t.path, t.name, t.text, t.props FROM session_steps t JOIN (`+window+`) s ON s.id = t.session_id
		ORDER BY t.session_id, t.seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: journeys: steps: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, props string
		var at int64
		var s store.Step
		if err := rows.Scan(&id, &at, &s.Kind, &s.Path, &s.Name, &s.Text, &props); err != nil {
			return nil, fmt.Errorf("postgres: journeys: steps: %w", err)
		}
		s.At = fromMS(at)
		r.Step(id, s, props)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: journeys: steps: %w", err)
	}
	return r.Journeys(), nil
}

// SessionFlags lists a session's flag variants.
func (db *DB) SessionFlags(ctx context.Context, sessionID string) ([]store.SessionFlag, error) {
	rows, err := db.pool.Query(ctx, `SELECT name, variant, first_at FROM session_flags WHERE session_id = $1 ORDER BY first_at, name, variant`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("postgres: session flags: %w", err)
	}
	defer rows.Close()
	var out []store.SessionFlag
	for rows.Next() {
		var f store.SessionFlag
		var at int64
		if err := rows.Scan(&f.Name, &f.Variant, &at); err != nil {
			return nil, fmt.Errorf("postgres: session flags: %w", err)
		}
		f.FirstAt = fromMS(at)
		out = append(out, f)
	}
	return out, rows.Err()
}

// FlagCounts counts a window's sessions by flag and variant.
func (db *DB) FlagCounts(ctx context.Context, projectID string, from, to time.Time) ([]store.FlagCount, error) {
	rows, err := db.pool.Query(ctx, `SELECT f.name, f.variant, COUNT(*) FROM session_flags f JOIN sessions s ON s.id = f.session_id
		WHERE s.project_id = $1 AND s.started_at >= $2 AND s.started_at < $3 GROUP BY f.name, f.variant ORDER BY f.name, f.variant LIMIT 1000`, projectID, ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("postgres: flag counts: %w", err)
	}
	defer rows.Close()
	var out []store.FlagCount
	for rows.Next() {
		var c store.FlagCount
		if err := rows.Scan(&c.Name, &c.Variant, &c.Sessions); err != nil {
			return nil, fmt.Errorf("postgres: flag counts: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Exposures lists a window's sessions with a flag, each with its first variant.
func (db *DB) Exposures(ctx context.Context, projectID, flag string, from, to time.Time, limit int) ([]store.Exposure, error) {
	rows, err := db.pool.Query(ctx, `SELECT s.id, s.started_at, s.errors, s.friction, f.variant, v.lcp, v.inp, v.cls, v.fcp, v.ttfb
		FROM sessions s JOIN LATERAL (SELECT variant FROM session_flags f WHERE f.session_id = s.id AND f.name = $1 ORDER BY f.first_at, f.variant LIMIT 1) f ON true
		LEFT JOIN LATERAL (SELECT MAX(lcp) AS lcp, MAX(inp) AS inp, MAX(cls) AS cls, MAX(fcp) AS fcp, MAX(ttfb) AS ttfb
			FROM page_vitals p WHERE p.session_id = s.id) v ON true
		WHERE s.project_id = $2 AND s.started_at >= $3 AND s.started_at < $4
		ORDER BY s.started_at DESC, s.id DESC LIMIT $5`, clean(flag), projectID, ms(from), ms(to), limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: exposures of %q: %w", flag, err)
	}
	defer rows.Close()
	var out []store.Exposure
	for rows.Next() {
		var e store.Exposure
		var started int64
		var vitals [len(store.VitalMetrics)]*float64
		if err := rows.Scan(&e.SessionID, &started, &e.Errors, &e.Friction, &e.Variant, &vitals[0], &vitals[1], &vitals[2], &vitals[3], &vitals[4]); err != nil {
			return nil, fmt.Errorf("postgres: exposures of %q: %w", flag, err)
		}
		e.StartedAt = fromMS(started)
		e.Vitals = store.WorstVitals(vitals)
		out = append(out, e)
	}
	return out, rows.Err()
}

// CreateFunnel stores a funnel.
func (db *DB) CreateFunnel(ctx context.Context, f store.Funnel) (store.Funnel, error) {
	err := db.pool.QueryRow(ctx, `INSERT INTO funnels(project_id, name, definition, owner_id, shared, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
		f.ProjectID, clean(f.Name), clean(f.Definition), f.OwnerID, f.Shared, ms(f.CreatedAt)).Scan(&f.ID)
	if err != nil {
		if isForeignKeyViolation(err) {
			return f, fmt.Errorf("postgres: create funnel: project %s: %w", f.ProjectID, store.ErrNotFound)
		}
		return f, fmt.Errorf("postgres: create funnel: %w", err)
	}
	f.UpdatedAt = f.CreatedAt
	return f, nil
}

const funnelCols = `id, project_id, name, definition, owner_id, shared, created_at, updated_at`

func scanFunnel(row pgx.Row) (store.Funnel, error) {
	var f store.Funnel
	var created, updated int64
	err := row.Scan(&f.ID, &f.ProjectID, &f.Name, &f.Definition, &f.OwnerID, &f.Shared, &created, &updated)
	f.CreatedAt, f.UpdatedAt = fromMS(created), fromMS(updated)
	return f, err
}

// SavedFunnels lists what userID may see of a project's funnels.
func (db *DB) SavedFunnels(ctx context.Context, projectID string, userID int64) ([]store.Funnel, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+funnelCols+` FROM funnels WHERE project_id = $1 AND (shared OR owner_id = $2)
		ORDER BY `+fmt.Sprintf(asciiLower, "name")+`, id`, projectID, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: funnels: %w", err)
	}
	defer rows.Close()
	var out []store.Funnel
	for rows.Next() {
		f, err := scanFunnel(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: funnels: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// SavedFunnel returns one funnel if userID may see it.
func (db *DB) SavedFunnel(ctx context.Context, id, userID int64) (store.Funnel, error) {
	f, err := scanFunnel(db.pool.QueryRow(ctx, `SELECT `+funnelCols+` FROM funnels WHERE id = $1 AND (shared OR owner_id = $2)`, id, userID))
	if errors.Is(err, pgx.ErrNoRows) {
		return f, fmt.Errorf("postgres: funnel %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return f, fmt.Errorf("postgres: funnel %d: %w", id, err)
	}
	return f, nil
}

// UpdateFunnel changes a funnel's name, definition and sharing.
func (db *DB) UpdateFunnel(ctx context.Context, f store.Funnel) error {
	tag, err := db.pool.Exec(ctx, `UPDATE funnels SET name = $1, definition = $2, shared = $3, updated_at = $4 WHERE id = $5`,
		clean(f.Name), clean(f.Definition), f.Shared, ms(f.UpdatedAt), f.ID)
	return affected(tag, err, fmt.Sprintf("update funnel %d", f.ID))
}

// DeleteFunnel removes a funnel.
func (db *DB) DeleteFunnel(ctx context.Context, id int64) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM funnels WHERE id = $1`, id)
	return affected(tag, err, fmt.Sprintf("delete funnel %d", id))
}

// CountFunnels counts a project's funnels, private ones included.
func (db *DB) CountFunnels(ctx context.Context, projectID string) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM funnels WHERE project_id = $1`, projectID).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count funnels: %w", err)
	}
	return n, nil
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"

	"github.com/reelhq/reel/internal/store"
)

// upsertVital sets one metric of a page view, keeping the others: every metric is a parameter
// and NULL ones leave the stored value alone, so one statement serves all five.
const upsertVital = `INSERT INTO page_vitals(session_id, project_id, tab, page_at, url, path, lcp, inp, cls, fcp, ttfb)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (session_id, tab, page_at) DO UPDATE SET
		lcp = COALESCE(excluded.lcp, lcp), inp = COALESCE(excluded.inp, inp), cls = COALESCE(excluded.cls, cls),
		fcp = COALESCE(excluded.fcp, fcp), ttfb = COALESCE(excluded.ttfb, ttfb)`

// appendVitals files each of a batch's vitals under its page view (store.PageVitals), after
// the batch's own pages are in. A vital in a tab that has no page view yet is dropped: there is
// no page to rate.
func appendVitals(ctx context.Context, tx querier, b store.Batch) error {
	id := b.Chunk.SessionID
	for _, v := range b.Vitals {
		i := store.VitalIndex(v.Metric)
		if i < 0 || math.IsNaN(v.Value) || math.IsInf(v.Value, 0) {
			continue
		}
		var at int64
		var url, path string
		err := sql.ErrNoRows
		if v.Metric == "ttfb" {
			err = tx.QueryRowContext(ctx, `SELECT at, url, path FROM session_pages WHERE session_id = ? AND tab = ? AND at >= ? AND at <= ? ORDER BY at, rowid LIMIT 1`,
				id, v.Tab, ms(v.At), ms(v.At.Add(store.TTFBLookahead))).Scan(&at, &url, &path)
		}
		if errors.Is(err, sql.ErrNoRows) {
			err = tx.QueryRowContext(ctx, `SELECT at, url, path FROM session_pages WHERE session_id = ? AND tab = ? AND at <= ? ORDER BY at DESC, rowid DESC LIMIT 1`,
				id, v.Tab, ms(v.At)).Scan(&at, &url, &path)
		}
		if errors.Is(err, sql.ErrNoRows) {
			err = tx.QueryRowContext(ctx, `SELECT at, url, path FROM session_pages WHERE session_id = ? AND tab = ? ORDER BY at, rowid LIMIT 1`,
				id, v.Tab).Scan(&at, &url, &path)
		}
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("vitals: page of %s: %w", v.Metric, err)
		}
		vals := make([]any, len(store.VitalMetrics))
		vals[i] = v.Value
		if _, err := tx.ExecContext(ctx, upsertVital, append([]any{id, b.ProjectID, v.Tab, at, url, path}, vals...)...); err != nil {
			return fmt.Errorf("vitals: %w", err)
		}
	}
	return nil
}

// SessionVitals returns a session's page views that measured any vital, by tab and time.
func (db *DB) SessionVitals(ctx context.Context, sessionID string) ([]store.PageVitals, error) {
	out, err := sessionVitals(ctx, db.read, sessionID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: session %w", err)
	}
	return out, nil
}

// vitalArgs are a page view's values as upsertVital's metric parameters (NULL when not measured).
func vitalArgs(values map[string]float64) []any {
	args := make([]any, len(store.VitalMetrics))
	for i, m := range store.VitalMetrics {
		if v, ok := values[m]; ok {
			args[i] = v
		}
	}
	return args
}

func sessionVitals(ctx context.Context, q querier, sessionID string) ([]store.PageVitals, error) {
	rows, err := q.QueryContext(ctx, `SELECT tab, page_at, url, path, lcp, inp, cls, fcp, ttfb FROM page_vitals WHERE session_id = ? ORDER BY tab, page_at`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("vitals: %w", err)
	}
	defer rows.Close()
	out := []store.PageVitals{}
	for rows.Next() {
		p := store.PageVitals{SessionID: sessionID, Values: map[string]float64{}}
		var at int64
		var vals [len(store.VitalMetrics)]sql.NullFloat64
		if err := rows.Scan(&p.Tab, &at, &p.URL, &p.Path, &vals[0], &vals[1], &vals[2], &vals[3], &vals[4]); err != nil {
			return nil, fmt.Errorf("vitals: %w", err)
		}
		p.PageAt = fromMS(at)
		for i, v := range vals {
			if v.Valid {
				p.Values[store.VitalMetrics[i]] = v.Float64
			}
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("vitals: %w", err)
	}
	return out, nil
}

// VitalSamples returns page views of a project that measured one metric in a time range.
func (db *DB) VitalSamples(ctx context.Context, q store.VitalQuery) ([]store.VitalSample, error) {
	i := store.VitalIndex(q.Metric)
	if i < 0 {
		return nil, fmt.Errorf("sqlite: vital samples: unknown metric %q", q.Metric)
	}
	// The column name comes from the fixed list, never from the caller's text.
	col := "v." + store.VitalMetrics[i]
	query := `SELECT v.session_id, s.started_at, s.user_id, v.tab, v.page_at, v.url, v.path, ` + col + `
		FROM page_vitals v JOIN sessions s ON s.id = v.session_id
		WHERE v.project_id = ? AND v.page_at >= ? AND v.page_at < ? AND ` + col + ` IS NOT NULL`
	args := []any{q.ProjectID, ms(q.From), ms(q.To)}
	if q.Path != "" {
		query += ` AND v.path = ?`
		args = append(args, q.Path)
	}
	if q.Slowest {
		query += ` ORDER BY ` + col + ` DESC, v.page_at DESC`
	}
	query += ` LIMIT ?`
	args = append(args, q.Limit)
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: vital samples: %w", err)
	}
	defer rows.Close()
	out := []store.VitalSample{}
	for rows.Next() {
		var s store.VitalSample
		var started, at int64
		if err := rows.Scan(&s.SessionID, &started, &s.UserID, &s.Tab, &at, &s.URL, &s.Path, &s.Value); err != nil {
			return nil, fmt.Errorf("sqlite: vital samples: %w", err)
		}
		s.SessionStarted, s.PageAt = fromMS(started), fromMS(at)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: vital samples: %w", err)
	}
	return out, nil
}

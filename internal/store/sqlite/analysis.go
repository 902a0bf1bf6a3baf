package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/reelhq/reel/internal/store"
)

var _ store.Analyzer = (*DB)(nil)

// SaveAnalysis replaces a session's findings and scores.
func (db *DB) SaveAnalysis(ctx context.Context, a store.Analysis) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: save analysis: %w", err)
	}
	defer tx.Rollback()
	var projectID string
	if err := tx.QueryRowContext(ctx, `SELECT project_id FROM sessions WHERE id = ?`, a.SessionID).Scan(&projectID); err != nil {
		return fmt.Errorf("sqlite: save analysis %s: %w", a.SessionID, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM session_signals WHERE session_id = ?`, a.SessionID); err != nil {
		return fmt.Errorf("sqlite: save analysis: %w", err)
	}
	for _, s := range a.Signals {
		if _, err := tx.ExecContext(ctx, `INSERT INTO session_signals(session_id, project_id, kind, at, path, target, fingerprint, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			a.SessionID, projectID, s.Kind, ms(s.At), s.Path, s.Target, s.Fingerprint, s.Detail); err != nil {
			return fmt.Errorf("sqlite: save analysis: %w", err)
		}
	}
	total := 0
	for k, n := range a.Counts {
		if k != "js_error" {
			total += n
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET score = ?, summary = ?, friction = ?, rage_clicks = ?, dead_clicks = ?, analyzed_at = ? WHERE id = ?`,
		a.Score, a.Summary, total, a.Counts["rage_click"], a.Counts["dead_click"], ms(a.At), a.SessionID); err != nil {
		return fmt.Errorf("sqlite: save analysis: %w", err)
	}
	return tx.Commit()
}

// Issues groups findings by fingerprint over a window, most sessions first.
func (db *DB) Issues(ctx context.Context, q store.IssueQuery) ([]store.Issue, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT g.fingerprint, MIN(g.kind), MIN(g.path), MIN(g.target),
			COUNT(DISTINCT g.session_id), COUNT(DISTINCT NULLIF(s.user_id, '')), MIN(g.at), MAX(g.at)
		FROM session_signals g JOIN sessions s ON s.id = g.session_id
		WHERE g.project_id = ? AND g.at >= ? AND g.at < ?
		GROUP BY g.fingerprint ORDER BY COUNT(DISTINCT g.session_id) DESC, MAX(g.at) DESC LIMIT ?`,
		q.ProjectID, ms(q.Since), ms(q.Until), q.Limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: issues: %w", err)
	}
	var out []store.Issue
	for rows.Next() {
		var is store.Issue
		var first, last int64
		if err := rows.Scan(&is.Fingerprint, &is.Kind, &is.Path, &is.Target, &is.Sessions, &is.Users, &first, &last); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: issues: %w", err)
		}
		is.FirstSeen, is.LastSeen = fromMS(first), fromMS(last)
		out = append(out, is)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: issues: %w", err)
	}
	days := int(q.Until.Sub(q.Since).Hours()/24 + 0.999)
	for i := range out {
		is := &out[i]
		is.Daily = make([]int, max(days, 1))
		drows, err := db.read.QueryContext(ctx, `SELECT (at - ?) / 86400000, COUNT(DISTINCT session_id) FROM session_signals
			WHERE project_id = ? AND fingerprint = ? AND at >= ? AND at < ? GROUP BY 1`,
			ms(q.Since), q.ProjectID, is.Fingerprint, ms(q.Since), ms(q.Until))
		if err != nil {
			return nil, fmt.Errorf("sqlite: issue trend: %w", err)
		}
		for drows.Next() {
			var d, n int
			if err := drows.Scan(&d, &n); err == nil && d >= 0 && d < len(is.Daily) {
				is.Daily[d] = n
			}
		}
		drows.Close()
		srows, err := db.read.QueryContext(ctx, `SELECT session_id, MIN(at) FROM session_signals
			WHERE project_id = ? AND fingerprint = ? AND at >= ? AND at < ? GROUP BY session_id ORDER BY MIN(at) DESC LIMIT 5`,
			q.ProjectID, is.Fingerprint, ms(q.Since), ms(q.Until))
		if err != nil {
			return nil, fmt.Errorf("sqlite: issue samples: %w", err)
		}
		for srows.Next() {
			var m store.Moment
			var at int64
			if err := srows.Scan(&m.SessionID, &at); err == nil {
				m.At = fromMS(at)
				is.Samples = append(is.Samples, m)
			}
		}
		srows.Close()
	}
	return out, nil
}

// Visits returns page views for funnel analysis.
func (db *DB) Visits(ctx context.Context, projectID string, from, to time.Time, limit int) ([]store.Visit, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT p.session_id, p.at, p.url FROM session_pages p
		JOIN (SELECT id FROM sessions WHERE project_id = ? AND started_at >= ? AND started_at < ? ORDER BY started_at DESC LIMIT ?) s ON s.id = p.session_id
		ORDER BY p.session_id, p.at`, projectID, ms(from), ms(to), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: visits: %w", err)
	}
	defer rows.Close()
	var out []store.Visit
	for rows.Next() {
		var v store.Visit
		var at int64
		var url string
		if err := rows.Scan(&v.SessionID, &at, &url); err != nil {
			return nil, fmt.Errorf("sqlite: visits: %w", err)
		}
		v.At, v.Path = fromMS(at), urlPath(url)
		out = append(out, v)
	}
	return out, rows.Err()
}

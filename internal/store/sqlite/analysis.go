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

var _ store.Analyzer = (*DB)(nil)

// SaveAnalysis replaces a session's findings and scores.
func (db *DB) SaveAnalysis(ctx context.Context, a store.Analysis) error {
	if a.Through.IsZero() {
		a.Through = a.At
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: save analysis: %w", err)
	}
	defer tx.Rollback()
	var projectID string
	var pending bool
	if err := tx.QueryRowContext(ctx, `SELECT project_id, last_batch_at > compacted_at FROM sessions WHERE id = ?`, a.SessionID).Scan(&projectID, &pending); err != nil {
		return fmt.Errorf("sqlite: save analysis %s: %w", a.SessionID, err)
	}
	if a.Live && !pending {
		return fmt.Errorf("sqlite: save analysis %s: compacted since it was read: %w", a.SessionID, store.ErrConflict)
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
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET score = ?, summary = ?, friction = ?, rage_clicks = ?, dead_clicks = ?, analyzed_at = ?, active_ms = ?, report = ? WHERE id = ?`,
		a.Score, a.Summary, total, a.Counts["rage_click"], a.Counts["dead_click"], ms(a.Through), a.ActiveMS, a.Report, a.SessionID); err != nil {
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
		GROUP BY g.fingerprint ORDER BY COUNT(DISTINCT g.session_id) DESC, MAX(g.at) DESC, g.fingerprint LIMIT ?`,
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
	if len(out) == 0 {
		return out, nil
	}
	// Each issue's daily trend and its latest sample sessions, for all issues in two statements.
	byFP := make(map[string]*store.Issue, len(out))
	fps := make([]string, len(out))
	days := int(q.Until.Sub(q.Since).Hours()/24 + 0.999)
	for i := range out {
		out[i].Daily = make([]int, max(days, 1))
		byFP[out[i].Fingerprint], fps[i] = &out[i], out[i].Fingerprint
	}
	list, err := json.Marshal(fps)
	if err != nil {
		return nil, fmt.Errorf("sqlite: issues: %w", err)
	}
	drows, err := db.read.QueryContext(ctx, `SELECT fingerprint, (at - ?) / 86400000, COUNT(DISTINCT session_id) FROM session_signals
		WHERE project_id = ? AND at >= ? AND at < ? AND fingerprint IN (SELECT value FROM json_each(?)) GROUP BY 1, 2`,
		ms(q.Since), q.ProjectID, ms(q.Since), ms(q.Until), string(list))
	if err != nil {
		return nil, fmt.Errorf("sqlite: issue trend: %w", err)
	}
	for drows.Next() {
		var fp string
		var d, n int
		if err := drows.Scan(&fp, &d, &n); err != nil {
			drows.Close()
			return nil, fmt.Errorf("sqlite: issue trend: %w", err)
		}
		if is := byFP[fp]; is != nil && d >= 0 && d < len(is.Daily) {
			is.Daily[d] = n
		}
	}
	drows.Close()
	if err := drows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: issue trend: %w", err)
	}
	srows, err := db.read.QueryContext(ctx, `SELECT fingerprint, session_id, at, started_at FROM (
			SELECT g.fingerprint, g.session_id, MIN(g.at) AS at, s.started_at,
				ROW_NUMBER() OVER (PARTITION BY g.fingerprint ORDER BY MIN(g.at) DESC, g.session_id) AS n
			FROM session_signals g JOIN sessions s ON s.id = g.session_id
			WHERE g.project_id = ? AND g.at >= ? AND g.at < ? AND g.fingerprint IN (SELECT value FROM json_each(?))
			GROUP BY g.fingerprint, g.session_id, s.started_at)
		WHERE n <= 5 ORDER BY fingerprint, n`,
		q.ProjectID, ms(q.Since), ms(q.Until), string(list))
	if err != nil {
		return nil, fmt.Errorf("sqlite: issue samples: %w", err)
	}
	for srows.Next() {
		var fp string
		var m store.Moment
		var at, started int64
		if err := srows.Scan(&fp, &m.SessionID, &at, &started); err != nil {
			srows.Close()
			return nil, fmt.Errorf("sqlite: issue samples: %w", err)
		}
		if is := byFP[fp]; is != nil {
			m.At, m.SessionStarted = fromMS(at), fromMS(started)
			is.Samples = append(is.Samples, m)
		}
	}
	srows.Close()
	if err := srows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: issue samples: %w", err)
	}
	return out, nil
}

// Visits returns page views for funnel analysis.
func (db *DB) Visits(ctx context.Context, projectID string, from, to time.Time, limit int) ([]store.Visit, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT p.session_id, p.at, p.url FROM session_pages p
		JOIN (SELECT id FROM sessions WHERE project_id = ? AND started_at >= ? AND started_at < ? ORDER BY started_at DESC, id DESC LIMIT ?) s ON s.id = p.session_id
		ORDER BY p.session_id, p.at, p.rowid`, projectID, ms(from), ms(to), limit)
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

var _ store.Alerts = (*DB)(nil)

// CreateAlert stores a rule.
func (db *DB) CreateAlert(ctx context.Context, r store.AlertRule) (store.AlertRule, error) {
	var saved any
	if r.SavedSearchID != 0 {
		saved = r.SavedSearchID
	}
	res, err := db.write.ExecContext(ctx, `INSERT INTO alert_rules(project_id, name, kind, fingerprint, threshold, window_ms, webhook, created_at, saved_search_id, format, secret) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ProjectID, r.Name, r.Kind, r.Fingerprint, r.Threshold, r.Window.Milliseconds(), r.Webhook, ms(r.CreatedAt), saved, r.Format, r.Secret)
	if err != nil {
		return r, fmt.Errorf("sqlite: create alert: %w", err)
	}
	r.ID, err = res.LastInsertId()
	return r, err
}

// Alerts lists a project's rules (all projects when projectID is empty).
func (db *DB) Alerts(ctx context.Context, projectID string) ([]store.AlertRule, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT a.id, a.project_id, a.name, a.kind, a.fingerprint, a.threshold, a.window_ms, a.webhook, a.created_at, a.fired_at,
			COALESCE(a.saved_search_id, 0), COALESCE(ss.query, ''), a.format, a.secret
		FROM alert_rules a LEFT JOIN saved_searches ss ON ss.id = a.saved_search_id
		WHERE ? = '' OR a.project_id = ? ORDER BY a.id`, projectID, projectID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: alerts: %w", err)
	}
	defer rows.Close()
	var out []store.AlertRule
	for rows.Next() {
		var r store.AlertRule
		var window, created, fired int64
		if err := rows.Scan(&r.ID, &r.ProjectID, &r.Name, &r.Kind, &r.Fingerprint, &r.Threshold, &window, &r.Webhook, &created, &fired,
			&r.SavedSearchID, &r.SavedQuery, &r.Format, &r.Secret); err != nil {
			return nil, fmt.Errorf("sqlite: alerts: %w", err)
		}
		r.Window, r.CreatedAt, r.FiredAt = time.Duration(window)*time.Millisecond, fromMS(created), optTime(fired)
		out = append(out, r)
	}
	return out, rows.Err()
}

// DeleteAlert removes a rule.
func (db *DB) DeleteAlert(ctx context.Context, projectID string, id int64) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM alert_rules WHERE id = ? AND project_id = ?`, id, projectID)
	if err != nil {
		return fmt.Errorf("sqlite: delete alert: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlite: delete alert %d: %w", id, store.ErrNotFound)
	}
	return nil
}

// AlertCount counts sessions with a matching finding since a time.
func (db *DB) AlertCount(ctx context.Context, r store.AlertRule, since time.Time) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(DISTINCT session_id) FROM session_signals
		WHERE project_id = ? AND at >= ? AND (? = '' OR fingerprint = ?) AND (? = '' OR kind = ?)`,
		r.ProjectID, ms(since), r.Fingerprint, r.Fingerprint, r.Kind, r.Kind).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite: alert count: %w", err)
	}
	return n, nil
}

// MarkFired records a firing unless the rule fired since notBefore.
func (db *DB) MarkFired(ctx context.Context, id int64, at, notBefore time.Time) (bool, error) {
	res, err := db.write.ExecContext(ctx, `UPDATE alert_rules SET fired_at = ? WHERE id = ? AND fired_at < ?`, ms(at), id, ms(notBefore))
	if err != nil {
		return false, fmt.Errorf("sqlite: mark fired: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RecordDelivery keeps one webhook attempt and drops the rule's attempts beyond
// store.DeliveriesKept, in one transaction.
func (db *DB) RecordDelivery(ctx context.Context, d store.AlertDelivery) (store.AlertDelivery, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return d, fmt.Errorf("sqlite: record delivery: %w", err)
	}
	defer tx.Rollback()
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM alert_rules WHERE id = ?`, d.RuleID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("sqlite: record delivery of alert %d: %w", d.RuleID, store.ErrNotFound)
	} else if err != nil {
		return d, fmt.Errorf("sqlite: record delivery: %w", err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO alert_deliveries(rule_id, at, test, status, error) VALUES (?, ?, ?, ?, ?)`,
		d.RuleID, ms(d.At), d.Test, d.Status, d.Error)
	if err != nil {
		return d, fmt.Errorf("sqlite: record delivery: %w", err)
	}
	if d.ID, err = res.LastInsertId(); err != nil {
		return d, fmt.Errorf("sqlite: record delivery: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM alert_deliveries WHERE rule_id = ? AND id NOT IN
		(SELECT id FROM alert_deliveries WHERE rule_id = ? ORDER BY id DESC LIMIT ?)`, d.RuleID, d.RuleID, store.DeliveriesKept); err != nil {
		return d, fmt.Errorf("sqlite: trim deliveries: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return d, fmt.Errorf("sqlite: record delivery: %w", err)
	}
	return d, nil
}

// AlertDeliveries lists the kept attempts of a project's rules, newest first.
func (db *DB) AlertDeliveries(ctx context.Context, projectID string) ([]store.AlertDelivery, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT d.id, d.rule_id, d.at, d.test, d.status, d.error
		FROM alert_deliveries d JOIN alert_rules a ON a.id = d.rule_id
		WHERE a.project_id = ? ORDER BY d.id DESC`, projectID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: alert deliveries: %w", err)
	}
	defer rows.Close()
	var out []store.AlertDelivery
	for rows.Next() {
		var d store.AlertDelivery
		var at int64
		if err := rows.Scan(&d.ID, &d.RuleID, &at, &d.Test, &d.Status, &d.Error); err != nil {
			return nil, fmt.Errorf("sqlite: alert deliveries: %w", err)
		}
		d.At = fromMS(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

// LiveSessions finds sessions with uncompacted batches no analysis has read (the partial index
// sessions_live holds only sessions with uncompacted batches).
func (db *DB) LiveSessions(ctx context.Context, limit int) ([]store.LiveSession, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, last_batch_at FROM sessions INDEXED BY sessions_live
		WHERE last_batch_at > compacted_at AND last_batch_at > analyzed_at ORDER BY last_batch_at, id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: live sessions: %w", err)
	}
	defer rows.Close()
	var out []store.LiveSession
	for rows.Next() {
		var l store.LiveSession
		var at int64
		if err := rows.Scan(&l.ID, &at); err != nil {
			return nil, fmt.Errorf("sqlite: live sessions: %w", err)
		}
		l.LastBatchAt = fromMS(at)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: live sessions: %w", err)
	}
	return out, nil
}

// AnalysisReport reads the report the session's latest analysis saved.
func (db *DB) AnalysisReport(ctx context.Context, sessionID string) ([]byte, error) {
	var report []byte
	err := db.read.QueryRowContext(ctx, `SELECT report FROM sessions WHERE id = ?`, sessionID).Scan(&report)
	if errors.Is(err, sql.ErrNoRows) || err == nil && len(report) == 0 {
		return nil, fmt.Errorf("sqlite: analysis report %s: %w", sessionID, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: analysis report %s: %w", sessionID, err)
	}
	return report, nil
}

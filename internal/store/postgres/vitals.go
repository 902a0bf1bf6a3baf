package postgres

import (
	"context"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
)

// upsertVital files one vital under its page view (store.PageVitals) in one statement: the
// page is the tab's next page view within store.TTFBLookahead for TTFB ($10), else the last one
// at or before the report, else the tab's first. Every metric is a parameter and NULL ones
// leave the stored value alone. A tab without any page view inserts nothing.
const upsertVital = `INSERT INTO page_vitals(session_id, project_id, tab, page_at, url, path, lcp, inp, cls, fcp, ttfb)
	SELECT $1, $2, p.tab, p.at, p.url, p.path, $5::double precision, $6::double precision, $7::double precision, $8::double precision, $9::double precision
	FROM (
		(SELECT tab, at, url, path, 0 AS pref FROM session_pages WHERE session_id = $1 AND tab = $3 AND $10::boolean AND at >= $4 AND at <= $4 + $11 ORDER BY at, id LIMIT 1)
		UNION ALL
		(SELECT tab, at, url, path, 1 FROM session_pages WHERE session_id = $1 AND tab = $3 AND at <= $4 ORDER BY at DESC, id DESC LIMIT 1)
		UNION ALL
		(SELECT tab, at, url, path, 2 FROM session_pages WHERE session_id = $1 AND tab = $3 ORDER BY at, id LIMIT 1)
	) p ORDER BY p.pref LIMIT 1
	ON CONFLICT (session_id, tab, page_at) DO UPDATE SET
		lcp = COALESCE(excluded.lcp, page_vitals.lcp), inp = COALESCE(excluded.inp, page_vitals.inp), cls = COALESCE(excluded.cls, page_vitals.cls),
		fcp = COALESCE(excluded.fcp, page_vitals.fcp), ttfb = COALESCE(excluded.ttfb, page_vitals.ttfb)`

// queueVitals queues a batch's vitals, after its pages.
func queueVitals(q *pgx.Batch, b store.Batch) {
	for _, v := range b.Vitals {
		i := store.VitalIndex(v.Metric)
		if i < 0 || math.IsNaN(v.Value) || math.IsInf(v.Value, 0) {
			continue
		}
		vals := make([]any, len(store.VitalMetrics))
		vals[i] = v.Value
		args := append([]any{b.Chunk.SessionID, b.ProjectID, v.Tab, ms(v.At)}, vals...)
		q.Queue(upsertVital, append(args, v.Metric == "ttfb", store.TTFBLookahead.Milliseconds())...)
	}
}

// SessionVitals returns a session's page views that measured any vital, by tab and time.
func (db *DB) SessionVitals(ctx context.Context, sessionID string) ([]store.PageVitals, error) {
	rows, err := db.pool.Query(ctx, `SELECT tab, page_at, url, path, lcp, inp, cls, fcp, ttfb FROM page_vitals WHERE session_id = $1 ORDER BY tab, page_at`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("postgres: session vitals: %w", err)
	}
	defer rows.Close()
	out := []store.PageVitals{}
	for rows.Next() {
		p, err := scanPageVitals(rows, sessionID)
		if err != nil {
			return nil, fmt.Errorf("postgres: session vitals: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: session vitals: %w", err)
	}
	return out, nil
}

// VitalSamples returns page views of a project that measured one metric in a time range.
func (db *DB) VitalSamples(ctx context.Context, q store.VitalQuery) ([]store.VitalSample, error) {
	i := store.VitalIndex(q.Metric)
	if i < 0 {
		return nil, fmt.Errorf("postgres: vital samples: unknown metric %q", q.Metric)
	}
	// The column name comes from the fixed list, never from the caller's text.
	col := "v." + store.VitalMetrics[i]
	query := `SELECT v.session_id, s.started_at, s.user_id, v.tab, v.page_at, v.url, v.path, ` + col + `
		FROM page_vitals v JOIN sessions s ON s.id = v.session_id
		WHERE v.project_id = $1 AND v.page_at >= $2 AND v.page_at < $3 AND ` + col + ` IS NOT NULL AND ($4 = '' OR v.path = $4)`
	if q.Slowest {
		query += ` ORDER BY ` + col + ` DESC, v.page_at DESC`
	}
	query += ` LIMIT $5`
	rows, err := db.pool.Query(ctx, query, q.ProjectID, ms(q.From), ms(q.To), q.Path, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: vital samples: %w", err)
	}
	defer rows.Close()
	out := []store.VitalSample{}
	for rows.Next() {
		var s store.VitalSample
		var started, at int64
		if err := rows.Scan(&s.SessionID, &started, &s.UserID, &s.Tab, &at, &s.URL, &s.Path, &s.Value); err != nil {
			return nil, fmt.Errorf("postgres: vital samples: %w", err)
		}
		s.SessionStarted, s.PageAt = fromMS(started), fromMS(at)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: vital samples: %w", err)
	}
	return out, nil
}

// vitalTerm compiles vitals.<metric>: as a test of the session's page views (Num is
// milliseconds, or thousandths for cls). The column comes from the fixed list of metrics.
func (c *compiler) vitalTerm(t *search.Term) (string, error) {
	i := store.VitalIndex(t.Key)
	if i < 0 {
		return "", fmt.Errorf("postgres: search: unknown web vital %q", t.Key)
	}
	switch t.Op {
	case search.Eq, search.Gt, search.Ge, search.Lt, search.Le:
	default:
		return "", fmt.Errorf("postgres: search: %s cannot compare with %s", t.Field, t.Op)
	}
	col := "round(d." + store.VitalMetrics[i] + ")"
	if store.VitalMetrics[i] == "cls" {
		col = "round(d.cls * 1000)"
	}
	return c.related("page_vitals", col+" "+string(t.Op)+" "+c.arg(t.Num)+"::double precision", false)
}

// scanPageVitals reads a row of tab, page_at, url, path and the metrics in store.VitalMetrics order.
func scanPageVitals(r pgx.Rows, sessionID string) (store.PageVitals, error) {
	p := store.PageVitals{SessionID: sessionID, Values: map[string]float64{}}
	var at int64
	var vals [len(store.VitalMetrics)]*float64
	if err := r.Scan(&p.Tab, &at, &p.URL, &p.Path, &vals[0], &vals[1], &vals[2], &vals[3], &vals[4]); err != nil {
		return p, err
	}
	p.PageAt = fromMS(at)
	for i, v := range vals {
		if v != nil {
			p.Values[store.VitalMetrics[i]] = *v
		}
	}
	return p, nil
}

package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/internal/store"
)

var _ store.Heatmaps = (*DB)(nil)

// maxHeatBins bounds the bins one heatmap returns: the most clicked cells of the most clicked
// elements, enough to draw any page.
const maxHeatBins = 5000

// SaveHeat replaces a session's heatmap rows: one per page it showed, with its clicks and
// page views as rows of their own. Pages are written in path order, the lock order of
// concurrent writers.
func (db *DB) SaveHeat(ctx context.Context, h store.Heat) error {
	sessionID := clean(h.SessionID)
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: save heat: %w", err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock_shared($1)`, sharedRowsLock); err != nil {
		return fmt.Errorf("postgres: save heat: %w", err)
	}
	var pending bool
	var projectID string
	if err := tx.QueryRow(ctx, `SELECT project_id, last_batch_at > compacted_at FROM sessions WHERE id = $1 FOR UPDATE`, sessionID).Scan(&projectID, &pending); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			err = store.ErrNotFound
		}
		return fmt.Errorf("postgres: save heat %s: %w", h.SessionID, err)
	}
	if h.Live && !pending {
		return fmt.Errorf("postgres: save heat %s: compacted since it was read: %w", h.SessionID, store.ErrConflict)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM heat WHERE session_id = $1`, sessionID); err != nil {
		return fmt.Errorf("postgres: save heat: %w", err)
	}
	type page struct {
		clicks []heatClick
		views  []heatView
	}
	pages := map[string]*page{}
	var paths []string
	get := func(path string) *page {
		path = clean(path)
		p := pages[path]
		if p == nil {
			p = &page{}
			pages[path] = p
			paths = append(paths, path)
		}
		return p
	}
	for _, c := range h.Clicks {
		p := get(c.Path)
		p.clicks = append(p.clicks, heatClick{tab: clean(c.Tab), at: ms(c.At), selector: clean(c.Selector), x: c.X, y: c.Y,
			w: int64(c.W), h: int64(c.H), pageX: int64(c.PageX), pageY: int64(c.PageY)})
	}
	for _, v := range h.Views {
		p := get(v.Path)
		p.views = append(p.views, heatView{tab: clean(v.Tab), at: ms(v.At), seen: ms(v.Seen), depth: int64(math.Round(v.Depth * 100))})
	}
	slices.Sort(paths)
	device := clean(h.Device)
	for _, path := range paths {
		p := pages[path]
		var pageID int64
		if err := tx.QueryRow(ctx, `INSERT INTO heat_pages(project_id, path) VALUES ($1, $2)
			ON CONFLICT (project_id, md5(path)) DO UPDATE SET path = excluded.path RETURNING id`, projectID, path).Scan(&pageID); err != nil {
			return fmt.Errorf("postgres: save heat: page: %w", err)
		}
		first, last := sortHeat(p.clicks, p.views)
		var q pgx.Batch
		q.Queue(`INSERT INTO heat(page_id, session_id, device, first_at, last_at) VALUES ($1, $2, $3, $4, $5)`, pageID, sessionID, device, first, last)
		if n := len(p.clicks); n > 0 {
			tabs, sels := make([]string, n), make([]string, n)
			at, w, hh, px, py := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
			xs, ys := make([]float64, n), make([]float64, n)
			for i, c := range p.clicks {
				tabs[i], sels[i], at[i], xs[i], ys[i], w[i], hh[i], px[i], py[i] = c.tab, c.selector, c.at, c.x, c.y, c.w, c.h, c.pageX, c.pageY
			}
			q.Queue(`INSERT INTO heat_clicks(page_id, session_id, seq, tab, at, selector, x, y, w, h, page_x, page_y)
				SELECT $1, $2, u.n, u.tab, u.at, u.sel, u.x, u.y, u.w, u.h, u.px, u.py
				FROM unnest($3::text[], $4::bigint[], $5::text[], $6::float8[], $7::float8[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[])
					WITH ORDINALITY AS u(tab, at, sel, x, y, w, h, px, py, n)`,
				pageID, sessionID, tabs, at, sels, xs, ys, w, hh, px, py)
		}
		if n := len(p.views); n > 0 {
			tabs := make([]string, n)
			at, seen, depth := make([]int64, n), make([]int64, n), make([]int64, n)
			for i, v := range p.views {
				tabs[i], at[i], seen[i], depth[i] = v.tab, v.at, v.seen, v.depth
			}
			q.Queue(`INSERT INTO heat_views(page_id, session_id, seq, tab, at, seen_at, depth)
				SELECT $1, $2, u.n, u.tab, u.at, u.seen, u.depth FROM unnest($3::text[], $4::bigint[], $5::bigint[], $6::bigint[]) WITH ORDINALITY AS u(tab, at, seen, depth, n)`,
				pageID, sessionID, tabs, at, seen, depth)
		}
		if err := tx.SendBatch(ctx, &q).Close(); err != nil {
			return fmt.Errorf("postgres: save heat: %w", err)
		}
	}
	// A page the session no longer shows may have been named by its rows alone.
	if err := dropUnusedHeatPages(ctx, tx); err != nil {
		return fmt.Errorf("postgres: save heat: %w", err)
	}
	return tx.Commit(ctx)
}

// dropUnusedHeatPages deletes the paths no heat row names any more: a path may name the
// person (an account page), so it goes with the last session that showed it.
func dropUnusedHeatPages(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `DELETE FROM heat_pages p WHERE NOT EXISTS (SELECT 1 FROM heat WHERE heat.page_id = p.id)`); err != nil {
		return fmt.Errorf("heat pages: %w", err)
	}
	return nil
}

// heatClick and heatView are one click and one page view as the heat rows keep them.
type heatClick struct {
	tab, selector      string
	at                 int64
	x, y               float64
	w, h, pageX, pageY int64
}

type heatView struct {
	tab      string
	at, seen int64
	depth    int64 // percent
}

// sortHeat puts a page's clicks and views in time order (stable, so equal times keep the
// order they were recorded in) and returns the first and last time.
func sortHeat(clicks []heatClick, views []heatView) (first, last int64) {
	slices.SortStableFunc(clicks, func(a, b heatClick) int { return cmp.Compare(a.at, b.at) })
	slices.SortStableFunc(views, func(a, b heatView) int { return cmp.Compare(a.at, b.at) })
	first, last = math.MaxInt64, math.MinInt64
	for _, c := range clicks {
		first, last = min(first, c.at), max(last, c.at)
	}
	for _, v := range views {
		first, last = min(first, v.at), max(last, v.at)
	}
	return first, last
}

// Heatmap aggregates the clicks and scroll depths of the pages a pattern matches: it reads the
// rows of those pages whose times meet the window and aggregates their clicks and views here.
func (db *DB) Heatmap(ctx context.Context, q store.HeatmapQuery) (store.Heatmap, error) {
	var out store.Heatmap
	from, to := ms(q.From), ms(q.To)
	// The rows of the matching pages whose times meet the window, clicks then views, each in
	// recorded order.
	pattern := likePattern(clean(q.Page))
	rows, err := db.pool.Query(ctx, `SELECT h.session_id, h.device, p.path, c.tab, c.at, c.selector, c.x, c.y, c.page_x, c.page_y
		FROM heat_pages p JOIN heat h ON h.page_id = p.id JOIN heat_clicks c ON c.page_id = h.page_id AND c.session_id = h.session_id
		WHERE p.project_id = $1 AND p.path LIKE $2 AND h.last_at >= $3 AND h.first_at < $4 AND ($5 = '' OR h.device = $5)
			AND c.at >= $3 AND c.at < $4
		ORDER BY p.id, h.session_id, c.seq`, q.ProjectID, pattern, from, to, clean(q.Device))
	if err != nil {
		return out, fmt.Errorf("postgres: heatmap: %w", err)
	}
	agg := store.NewHeatAggregator(q.Bins)
	for rows.Next() {
		var id, device, path string
		var c heatClick
		if err := rows.Scan(&id, &device, &path, &c.tab, &c.at, &c.selector, &c.x, &c.y, &c.pageX, &c.pageY); err != nil {
			rows.Close()
			return out, fmt.Errorf("postgres: heatmap: %w", err)
		}
		agg.Click(id, device, path, c.tab, c.at, c.selector, c.x, c.y, c.pageX, c.pageY)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("postgres: heatmap: %w", err)
	}
	rows, err = db.pool.Query(ctx, `SELECT h.session_id, h.device, p.path, v.tab, v.at, v.seen_at, v.depth
		FROM heat_pages p JOIN heat h ON h.page_id = p.id JOIN heat_views v ON v.page_id = h.page_id AND v.session_id = h.session_id
		WHERE p.project_id = $1 AND p.path LIKE $2 AND h.last_at >= $3 AND h.first_at < $4 AND ($5 = '' OR h.device = $5)
			AND v.at >= $3 AND v.at < $4
		ORDER BY p.id, h.session_id, v.seq`, q.ProjectID, pattern, from, to, clean(q.Device))
	if err != nil {
		return out, fmt.Errorf("postgres: heatmap: %w", err)
	}
	for rows.Next() {
		var id, device, path string
		var v heatView
		if err := rows.Scan(&id, &device, &path, &v.tab, &v.at, &v.seen, &v.depth); err != nil {
			rows.Close()
			return out, fmt.Errorf("postgres: heatmap: %w", err)
		}
		agg.View(id, device, path, v.tab, v.at, v.seen, v.depth)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("postgres: heatmap: %w", err)
	}
	out, b := agg.Result()
	if b != nil {
		var started int64
		err := db.pool.QueryRow(ctx, `SELECT started_at FROM sessions WHERE id = $1`, b.SessionID).Scan(&started)
		switch {
		case err == nil:
			b.SessionStarted = fromMS(started)
			out.Backdrop = b
		case !errors.Is(err, pgx.ErrNoRows):
			return out, fmt.Errorf("postgres: heatmap backdrop: %w", err)
		}
	}
	return out, nil
}

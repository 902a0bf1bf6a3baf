package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"

	"github.com/reelhq/reel/internal/store"
)

var _ store.Heatmaps = (*DB)(nil)

// maxHeatBins bounds the bins one heatmap returns: the most clicked cells of the most clicked
// elements, enough to draw any page.
const maxHeatBins = 5000

// SaveHeat replaces a session's heatmap rows: one per page, packed (heat.go).
func (db *DB) SaveHeat(ctx context.Context, h store.Heat) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: save heat: %w", err)
	}
	defer tx.Rollback()
	var pending bool
	var projectID string
	if err := tx.QueryRowContext(ctx, `SELECT project_id, last_batch_at > compacted_at FROM sessions WHERE id = ?`, h.SessionID).Scan(&projectID, &pending); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			err = store.ErrNotFound
		}
		return fmt.Errorf("sqlite: save heat %s: %w", h.SessionID, err)
	}
	if h.Live && !pending {
		return fmt.Errorf("sqlite: save heat %s: compacted since it was read: %w", h.SessionID, store.ErrConflict)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM heat WHERE session_id = ?`, h.SessionID); err != nil {
		return fmt.Errorf("sqlite: save heat: %w", err)
	}
	type page struct {
		clicks []heatClick
		views  []heatView
	}
	pages := map[string]*page{}
	var paths []string
	get := func(path string) *page {
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
		p.clicks = append(p.clicks, heatClick{tab: c.Tab, at: ms(c.At), selector: c.Selector, x: c.X, y: c.Y,
			w: int64(c.W), h: int64(c.H), pageX: int64(c.PageX), pageY: int64(c.PageY)})
	}
	for _, v := range h.Views {
		p := get(v.Path)
		p.views = append(p.views, heatView{tab: v.Tab, at: ms(v.At), seen: ms(v.Seen), depth: int64(math.Round(v.Depth * 100))})
	}
	for _, path := range paths {
		p := pages[path]
		var pageID int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO heat_pages(project_id, path) VALUES (?, ?)
			ON CONFLICT(project_id, path) DO UPDATE SET path = excluded.path RETURNING id`, projectID, path).Scan(&pageID); err != nil {
			return fmt.Errorf("sqlite: save heat: page: %w", err)
		}
		first, last := sortHeat(p.clicks, p.views)
		if _, err := tx.ExecContext(ctx, `INSERT INTO heat(page_id, session_id, device, first_at, last_at, data) VALUES (?, ?, ?, ?, ?, ?)`,
			pageID, h.SessionID, h.Device, first, last, packHeat(first, p.clicks, p.views)); err != nil {
			return fmt.Errorf("sqlite: save heat: %w", err)
		}
	}
	// A page the session no longer shows may have been named by its rows alone.
	if err := dropUnusedHeatPages(ctx, tx); err != nil {
		return fmt.Errorf("sqlite: save heat: %w", err)
	}
	return tx.Commit()
}

// dropUnusedHeatPages deletes the paths no heat row names any more: a path may name the
// person (an account page), so it goes with the last session that showed it.
func dropUnusedHeatPages(ctx context.Context, tx querier) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM heat_pages WHERE NOT EXISTS (SELECT 1 FROM heat WHERE heat.page_id = heat_pages.id)`); err != nil {
		return fmt.Errorf("heat pages: %w", err)
	}
	return nil
}

// Heatmap aggregates the clicks and scroll depths of the pages a pattern matches: it reads the
// rows of those pages whose times meet the window and aggregates their clicks and views here.
func (db *DB) Heatmap(ctx context.Context, q store.HeatmapQuery) (store.Heatmap, error) {
	var out store.Heatmap
	from, to := ms(q.From), ms(q.To)
	rows, err := db.read.QueryContext(ctx, `SELECT h.session_id, h.device, p.path, h.first_at, h.data FROM heat_pages p JOIN heat h ON h.page_id = p.id
		WHERE p.project_id = ? AND p.path GLOB ? AND h.last_at >= ? AND h.first_at < ? AND (? = '' OR h.device = ?)`,
		q.ProjectID, globPattern(q.Page), from, to, q.Device, q.Device)
	if err != nil {
		return out, fmt.Errorf("sqlite: heatmap: %w", err)
	}
	agg := store.NewHeatAggregator(q.Bins)
	for rows.Next() {
		var id, device, path string
		var base int64
		var data []byte
		if err := rows.Scan(&id, &device, &path, &base, &data); err != nil {
			rows.Close()
			return out, fmt.Errorf("sqlite: heatmap: %w", err)
		}
		clicks, views, err := unpackHeat(base, data)
		if err != nil {
			rows.Close()
			return out, fmt.Errorf("sqlite: heatmap %s: %w", id, err)
		}
		for _, c := range clicks {
			if c.at < from || c.at >= to {
				continue
			}
			agg.Click(id, device, path, c.tab, c.at, c.selector, c.x, c.y, c.pageX, c.pageY)
		}
		for _, v := range views {
			if v.at < from || v.at >= to {
				continue
			}
			agg.View(id, device, path, v.tab, v.at, v.seen, v.depth)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("sqlite: heatmap: %w", err)
	}
	out, b := agg.Result()
	if b != nil {
		var started int64
		err := db.read.QueryRowContext(ctx, `SELECT started_at FROM sessions WHERE id = ?`, b.SessionID).Scan(&started)
		switch {
		case err == nil:
			b.SessionStarted = fromMS(started)
			out.Backdrop = b
		case !errors.Is(err, sql.ErrNoRows):
			return out, fmt.Errorf("sqlite: heatmap backdrop: %w", err)
		}
	}
	return out, nil
}

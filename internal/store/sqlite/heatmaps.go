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

// SaveHeat replaces a session's heatmap rows.
func (db *DB) SaveHeat(ctx context.Context, h store.Heat) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: save heat: %w", err)
	}
	defer tx.Rollback()
	var projectID string
	if err := tx.QueryRowContext(ctx, `SELECT project_id FROM sessions WHERE id = ?`, h.SessionID).Scan(&projectID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			err = store.ErrNotFound
		}
		return fmt.Errorf("sqlite: save heat %s: %w", h.SessionID, err)
	}
	for _, q := range []string{`DELETE FROM heat_clicks WHERE session_id = ?`, `DELETE FROM heat_views WHERE session_id = ?`} {
		if _, err := tx.ExecContext(ctx, q, h.SessionID); err != nil {
			return fmt.Errorf("sqlite: save heat: %w", err)
		}
	}
	click, err := tx.PrepareContext(ctx, `INSERT INTO heat_clicks(session_id, project_id, tab, path, device, at, selector, x, y, w, h, page_x, page_y)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("sqlite: save heat: %w", err)
	}
	defer click.Close()
	for _, c := range h.Clicks {
		if _, err := click.ExecContext(ctx, h.SessionID, projectID, c.Tab, c.Path, h.Device, ms(c.At), c.Selector, c.X, c.Y, c.W, c.H, c.PageX, c.PageY); err != nil {
			return fmt.Errorf("sqlite: save heat: %w", err)
		}
	}
	for _, v := range h.Views {
		if _, err := tx.ExecContext(ctx, `INSERT INTO heat_views(session_id, project_id, tab, path, device, at, seen_at, depth) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			h.SessionID, projectID, v.Tab, v.Path, h.Device, ms(v.At), ms(v.Seen), int(math.Round(v.Depth*100))); err != nil {
			return fmt.Errorf("sqlite: save heat: %w", err)
		}
	}
	return tx.Commit()
}

// Heatmap aggregates the clicks and scroll depths of the pages a pattern matches.
func (db *DB) Heatmap(ctx context.Context, q store.HeatmapQuery) (store.Heatmap, error) {
	var out store.Heatmap
	bins := max(q.Bins, 1)
	// cond is the query's filter on a table aliased a (heat_clicks or heat_views).
	cond := func(a string) string {
		return fmt.Sprintf(`%[1]sproject_id = ? AND %[1]spath GLOB ? AND %[1]sat >= ? AND %[1]sat < ? AND (? = '' OR %[1]sdevice = ?)`, a)
	}
	where := cond("")
	args := []any{q.ProjectID, globPattern(q.Page), ms(q.From), ms(q.To), q.Device, q.Device}

	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT session_id) FROM heat_clicks WHERE `+where, args...).Scan(&out.Clicks, &out.Sessions); err != nil {
		return out, fmt.Errorf("sqlite: heatmap: %w", err)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT selector, MIN(CAST(x * ? AS INTEGER), ? - 1) AS bx, MIN(CAST(y * ? AS INTEGER), ? - 1) AS by,
			COUNT(*), AVG(page_x), AVG(page_y)
		FROM heat_clicks WHERE `+where+` GROUP BY selector, bx, by ORDER BY COUNT(*) DESC, selector, bx, by LIMIT ?`,
		append(append([]any{bins, bins, bins, bins}, args...), maxHeatBins)...)
	if err != nil {
		return out, fmt.Errorf("sqlite: heatmap: %w", err)
	}
	for rows.Next() {
		var b store.HeatBin
		var bx, by int
		var px, py float64
		if err := rows.Scan(&b.Selector, &bx, &by, &b.Clicks, &px, &py); err != nil {
			rows.Close()
			return out, fmt.Errorf("sqlite: heatmap: %w", err)
		}
		b.X, b.Y = (float64(bx)+0.5)/float64(bins), (float64(by)+0.5)/float64(bins)
		b.PageX, b.PageY = int(math.Round(px)), int(math.Round(py))
		out.Bins = append(out.Bins, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("sqlite: heatmap: %w", err)
	}

	rows, err = db.read.QueryContext(ctx, `SELECT MIN(depth / 10, 10), COUNT(*) FROM heat_views WHERE `+where+` GROUP BY 1`, args...)
	if err != nil {
		return out, fmt.Errorf("sqlite: heatmap depth: %w", err)
	}
	for rows.Next() {
		var step, n int
		if err := rows.Scan(&step, &n); err != nil {
			rows.Close()
			return out, fmt.Errorf("sqlite: heatmap depth: %w", err)
		}
		// A view that reached step k also reached every step below it.
		for k := 0; k <= step && k < len(out.Reached); k++ {
			out.Reached[k] += n
		}
		out.Views += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("sqlite: heatmap depth: %w", err)
	}

	// The backdrop: the latest page view of the page, or the latest click when no view
	// reported its depth.
	var b store.Backdrop
	var at, started int64
	err = db.read.QueryRowContext(ctx, `SELECT v.session_id, v.tab, v.path, v.seen_at, s.started_at FROM heat_views v JOIN sessions s ON s.id = v.session_id
		WHERE `+cond("v.")+` ORDER BY v.at DESC LIMIT 1`, args...).Scan(&b.SessionID, &b.Tab, &b.Path, &at, &started)
	if errors.Is(err, sql.ErrNoRows) {
		err = db.read.QueryRowContext(ctx, `SELECT c.session_id, c.tab, c.path, c.at, s.started_at FROM heat_clicks c JOIN sessions s ON s.id = c.session_id
			WHERE `+cond("c.")+` ORDER BY c.at DESC LIMIT 1`, args...).Scan(&b.SessionID, &b.Tab, &b.Path, &at, &started)
	}
	switch {
	case err == nil:
		b.At, b.SessionStarted = fromMS(at), fromMS(started)
		out.Backdrop = &b
	case !errors.Is(err, sql.ErrNoRows):
		return out, fmt.Errorf("sqlite: heatmap backdrop: %w", err)
	}
	return out, nil
}

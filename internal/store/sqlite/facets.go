package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/reelhq/reel/internal/store"
)

// Countries counts the countries of the project's newest store.FacetSessions sessions.
func (db *DB) Countries(ctx context.Context, projectID string) ([]store.FacetCount, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT country, COUNT(*) FROM
		(SELECT country FROM sessions WHERE project_id = ? ORDER BY started_at DESC, id DESC LIMIT ?)
		WHERE country <> '' GROUP BY country ORDER BY COUNT(*) DESC, country`, projectID, store.FacetSessions)
	if err != nil {
		return nil, fmt.Errorf("sqlite: countries of %s: %w", projectID, err)
	}
	out, err := scanFacets(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: countries of %s: %w", projectID, err)
	}
	return out, nil
}

// HeatPages lists the project's pages with heat, by how many sessions have heat on each.
func (db *DB) HeatPages(ctx context.Context, projectID string, limit int) ([]store.FacetCount, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT p.path, COUNT(*) FROM heat_pages p JOIN heat h ON h.page_id = p.id
		WHERE p.project_id = ? GROUP BY p.id, p.path ORDER BY COUNT(*) DESC, p.path LIMIT ?`, projectID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: heat pages of %s: %w", projectID, err)
	}
	out, err := scanFacets(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: heat pages of %s: %w", projectID, err)
	}
	return out, nil
}

func scanFacets(rows *sql.Rows) ([]store.FacetCount, error) {
	defer rows.Close()
	var out []store.FacetCount
	for rows.Next() {
		var f store.FacetCount
		if err := rows.Scan(&f.Value, &f.Sessions); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

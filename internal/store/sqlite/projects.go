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

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// CreateProject inserts a project; a taken id or key gives store.ErrDuplicate.
func (db *DB) CreateProject(ctx context.Context, p store.Project) error {
	origins, err := json.Marshal(nonNil(p.AllowedOrigins))
	if err != nil {
		return fmt.Errorf("sqlite: create project: %w", err)
	}
	_, err = db.write.ExecContext(ctx,
		`INSERT INTO projects(id, name, public_key, allowed_origins, created_at, retention_days, sdk_config, friction, scrub) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Name, p.PublicKey, string(origins), ms(p.CreatedAt), p.RetentionDays, jsonObject(p.SDKConfig), jsonObject(p.Friction), jsonObject(p.Scrub))
	if isUniqueViolation(err) {
		return fmt.Errorf("sqlite: create project %s: %w", p.ID, store.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("sqlite: create project %s: %w", p.ID, err)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// jsonObject is a JSON object column's stored text, '{}' when empty (SDK config, friction overrides).
func jsonObject(c json.RawMessage) string {
	if len(c) == 0 {
		return "{}"
	}
	return string(c)
}

// UpdateProject changes a project's settings.
func (db *DB) UpdateProject(ctx context.Context, p store.Project) error {
	origins, err := json.Marshal(nonNil(p.AllowedOrigins))
	if err != nil {
		return fmt.Errorf("sqlite: update project: %w", err)
	}
	res, err := db.write.ExecContext(ctx, `UPDATE projects SET name = ?, allowed_origins = ?, retention_days = ?, sdk_config = ?, friction = ?, scrub = ? WHERE id = ?`,
		p.Name, string(origins), p.RetentionDays, jsonObject(p.SDKConfig), jsonObject(p.Friction), jsonObject(p.Scrub), p.ID)
	if err != nil {
		return fmt.Errorf("sqlite: update project %s: %w", p.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlite: update project %s: %w", p.ID, store.ErrNotFound)
	}
	return nil
}

const projectCols = `id, name, public_key, allowed_origins, created_at, retention_days, sdk_config, friction, previous_key, previous_key_until, scrub`

func scanProject(row interface{ Scan(...any) error }) (store.Project, error) {
	var p store.Project
	var origins, config, friction, scrubCfg string
	var created, prevUntil int64
	if err := row.Scan(&p.ID, &p.Name, &p.PublicKey, &origins, &created, &p.RetentionDays, &config, &friction, &p.PreviousKey, &prevUntil, &scrubCfg); err != nil {
		return p, err
	}
	if prevUntil != 0 {
		p.PreviousKeyUntil = fromMS(prevUntil)
	}
	p.SDKConfig, p.Friction, p.Scrub = json.RawMessage(config), json.RawMessage(friction), json.RawMessage(scrubCfg)
	if err := json.Unmarshal([]byte(origins), &p.AllowedOrigins); err != nil {
		return p, fmt.Errorf("allowed_origins: %w", err)
	}
	p.CreatedAt = fromMS(created)
	return p, nil
}

// Projects lists every project, oldest first.
func (db *DB) Projects(ctx context.Context) ([]store.Project, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+projectCols+` FROM projects ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: projects: %w", err)
	}
	defer rows.Close()
	var out []store.Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: projects: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ProjectByKey finds the project owning a public ingest key, as its current or previous key.
func (db *DB) ProjectByKey(ctx context.Context, key string) (store.Project, error) {
	if key == "" {
		return store.Project{}, fmt.Errorf("sqlite: project by key: %w", store.ErrNotFound)
	}
	p, err := scanProject(db.reads.queryRow(ctx, db.read, `SELECT `+projectCols+` FROM projects WHERE public_key = ?1 OR previous_key = ?1 ORDER BY public_key = ?1 DESC LIMIT 1`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("sqlite: project by key: %w", store.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("sqlite: project by key: %w", err)
	}
	return p, nil
}

// Project returns the project with the given id.
func (db *DB) Project(ctx context.Context, id string) (store.Project, error) {
	p, err := scanProject(db.read.QueryRowContext(ctx, `SELECT `+projectCols+` FROM projects WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("sqlite: project %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("sqlite: project %s: %w", id, err)
	}
	return p, nil
}

package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
)

// CreateProject inserts a project; a taken id or key gives store.ErrDuplicate.
func (db *DB) CreateProject(ctx context.Context, p store.Project) error {
	origins, err := json.Marshal(nonNil(p.AllowedOrigins))
	if err != nil {
		return fmt.Errorf("postgres: create project: %w", err)
	}
	_, err = db.pool.Exec(ctx,
		`INSERT INTO projects(id, name, public_key, allowed_origins, created_at, retention_days, sdk_config, friction, scrub) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		p.ID, clean(p.Name), p.PublicKey, string(origins), ms(p.CreatedAt), p.RetentionDays, jsonObject(p.SDKConfig), jsonObject(p.Friction), jsonObject(p.Scrub))
	if isUniqueViolation(err) {
		return fmt.Errorf("postgres: create project %s: %w", p.ID, store.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("postgres: create project %s: %w", p.ID, err)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// jsonObject is a JSON object column's stored text, '{}' when empty.
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
		return fmt.Errorf("postgres: update project: %w", err)
	}
	tag, err := db.pool.Exec(ctx, `UPDATE projects SET name = $1, allowed_origins = $2, retention_days = $3, sdk_config = $4, friction = $5, scrub = $6 WHERE id = $7`,
		clean(p.Name), string(origins), p.RetentionDays, jsonObject(p.SDKConfig), jsonObject(p.Friction), jsonObject(p.Scrub), p.ID)
	if err != nil {
		return fmt.Errorf("postgres: update project %s: %w", p.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: update project %s: %w", p.ID, store.ErrNotFound)
	}
	return nil
}

const projectCols = `id, name, public_key, allowed_origins, created_at, retention_days, sdk_config, friction, previous_key, previous_key_until, scrub`

func scanProject(row pgx.Row) (store.Project, error) {
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
	rows, err := db.pool.Query(ctx, `SELECT `+projectCols+` FROM projects ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: projects: %w", err)
	}
	defer rows.Close()
	var out []store.Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: projects: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ProjectByKey finds the project owning a public ingest key, as its current or previous key.
func (db *DB) ProjectByKey(ctx context.Context, key string) (store.Project, error) {
	if key == "" {
		return store.Project{}, fmt.Errorf("postgres: project by key: %w", store.ErrNotFound)
	}
	p, err := scanProject(db.pool.QueryRow(ctx, `SELECT `+projectCols+` FROM projects WHERE public_key = $1 OR previous_key = $1 ORDER BY public_key = $1 DESC LIMIT 1`, clean(key)))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("postgres: project by key: %w", store.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("postgres: project by key: %w", err)
	}
	return p, nil
}

// Project returns the project with the given id.
func (db *DB) Project(ctx context.Context, id string) (store.Project, error) {
	p, err := scanProject(db.pool.QueryRow(ctx, `SELECT `+projectCols+` FROM projects WHERE id = $1`, clean(id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("postgres: project %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("postgres: project %s: %w", id, err)
	}
	return p, nil
}

// CreateUser inserts a user and returns it with its id.
func (db *DB) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	err := db.pool.QueryRow(ctx, `INSERT INTO users(email, password_hash, role, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		clean(u.Email), u.PasswordHash, u.Role, ms(u.CreatedAt)).Scan(&u.ID)
	if isUniqueViolation(err) {
		return u, fmt.Errorf("postgres: create user: %w", store.ErrDuplicate)
	}
	if err != nil {
		return u, fmt.Errorf("postgres: create user: %w", err)
	}
	return u, nil
}

// asciiLower folds ASCII letters only, as SQLite's NOCASE does (and the users_email index).
const asciiLower = `translate(%s, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')`

func (db *DB) userWhere(ctx context.Context, where string, arg any) (store.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE `+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return u, fmt.Errorf("postgres: user: %w", store.ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("postgres: user: %w", err)
	}
	return u, nil
}

// UserByEmail finds a user by email, ignoring ASCII case.
func (db *DB) UserByEmail(ctx context.Context, email string) (store.User, error) {
	return db.userWhere(ctx, fmt.Sprintf(asciiLower, "email")+` = `+fmt.Sprintf(asciiLower, "$1::text"), clean(email))
}

// UserByID finds a user by id.
func (db *DB) UserByID(ctx context.Context, id int64) (store.User, error) {
	return db.userWhere(ctx, `id = $1`, id)
}

// CountUsers returns how many users exist.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count users: %w", err)
	}
	return n, nil
}

// SetPassword replaces a user's password hash and ends the user's logins.
func (db *DB) SetPassword(ctx context.Context, userID int64, hash string) error {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, hash, userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		_, err = tx.Exec(ctx, `DELETE FROM logins WHERE user_id = $1`, userID)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: set password: %w", err)
	}
	return nil
}

// CreateLogin stores a login session.
func (db *DB) CreateLogin(ctx context.Context, l store.Login) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO logins(token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		l.TokenHash, l.UserID, ms(l.CreatedAt), ms(l.ExpiresAt))
	if err != nil {
		return fmt.Errorf("postgres: create login: %w", err)
	}
	return nil
}

// LoginByTokenHash finds a login that has not expired at now.
func (db *DB) LoginByTokenHash(ctx context.Context, hash string, now time.Time) (store.Login, error) {
	var l store.Login
	var created, expires int64
	err := db.pool.QueryRow(ctx, `SELECT token_hash, user_id, created_at, expires_at FROM logins WHERE token_hash = $1 AND expires_at > $2`, clean(hash), ms(now)).
		Scan(&l.TokenHash, &l.UserID, &created, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return l, fmt.Errorf("postgres: login: %w", store.ErrNotFound)
	}
	if err != nil {
		return l, fmt.Errorf("postgres: login: %w", err)
	}
	l.CreatedAt, l.ExpiresAt = fromMS(created), fromMS(expires)
	return l, nil
}

// DeleteLogin ends a login session.
func (db *DB) DeleteLogin(ctx context.Context, hash string) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM logins WHERE token_hash = $1`, clean(hash)); err != nil {
		return fmt.Errorf("postgres: delete login: %w", err)
	}
	return nil
}

// EnsureSetting stores value under name unless a value exists, and returns the stored value.
func (db *DB) EnsureSetting(ctx context.Context, name, value string) (string, error) {
	if _, err := db.pool.Exec(ctx, `INSERT INTO settings(name, value) VALUES ($1, $2) ON CONFLICT(name) DO NOTHING`, name, clean(value)); err != nil {
		return "", fmt.Errorf("postgres: ensure setting %s: %w", name, err)
	}
	var v string
	if err := db.pool.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v); err != nil {
		return "", fmt.Errorf("postgres: ensure setting %s: %w", name, err)
	}
	return v, nil
}

// HasChunk reports whether the project's session already holds a batch, so retries skip the
// work; ErrConflict when the session is another project's (store.Store.HasChunk).
func (db *DB) HasChunk(ctx context.Context, projectID, sessionID, tab string, seq int64) (bool, error) {
	var owner string
	var has bool
	err := db.pool.QueryRow(ctx, `SELECT project_id, EXISTS (SELECT 1 FROM chunks WHERE session_id = $1 AND tab = $2 AND seq = $3)
		FROM sessions WHERE id = $1`, clean(sessionID), clean(tab), seq).Scan(&owner, &has)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("postgres: has chunk: %w", err)
	case owner != clean(projectID):
		return false, fmt.Errorf("postgres: has chunk: session %s: %w", sessionID, store.ErrConflict)
	}
	return has, nil
}

const sessionCols = `id, project_id, started_at, ended_at, pages, entry_url, exit_url, clicks, events, tabs, user_agent, vp_width, vp_height, updated_at, user_id, compacted_at, country, errors, failed_requests, score, summary, friction, rage_clicks, dead_clicks, active_ms`

const sessionColsS = `s.id, s.project_id, s.started_at, s.ended_at, s.pages, s.entry_url, s.exit_url, s.clicks, s.events, s.tabs, s.user_agent, s.vp_width, s.vp_height, s.updated_at, s.user_id, s.compacted_at, s.country, s.errors, s.failed_requests, s.score, s.summary, s.friction, s.rage_clicks, s.dead_clicks, s.active_ms`

// scrubCols are a session's scrubbed_<kind> columns, in store.ScrubKinds order.
const scrubCols = `scrubbed_card, scrubbed_email, scrubbed_phone, scrubbed_iban, scrubbed_token, scrubbed_custom`

// scanSession reads sessionCols, after any extra leading columns.
func scanSession(row pgx.Row, extra ...any) (store.Session, error) {
	var s store.Session
	var started, ended, updated, compacted int64
	err := row.Scan(append(extra, &s.ID, &s.ProjectID, &started, &ended, &s.Pages, &s.EntryURL, &s.ExitURL, &s.Clicks, &s.Events, &s.Tabs,
		&s.UserAgent, &s.Viewport.Width, &s.Viewport.Height, &updated, &s.UserID, &compacted, &s.Country, &s.Errors, &s.Failed,
		&s.Score, &s.Summary, &s.Friction, &s.RageClicks, &s.DeadClicks, &s.ActiveMS)...)
	s.StartedAt, s.EndedAt, s.UpdatedAt, s.Compacted = fromMS(started), fromMS(ended), fromMS(updated), optTime(compacted)
	return s, err
}

// A cursor is the last row's sort key and id, so the next page starts strictly after it
// whatever the order; the same text as SQLite's, so a cursor survives a change of backend.
func encodeCursor(key int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(key, 10) + "|" + id))
}

func decodeCursor(c string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", store.ErrBadCursor
	}
	at, id, ok := strings.Cut(string(b), "|")
	if !ok {
		return 0, "", store.ErrBadCursor
	}
	v, err := strconv.ParseInt(at, 10, 64)
	if err != nil {
		return 0, "", store.ErrBadCursor
	}
	return v, clean(id), nil
}

// ListSessions returns the sessions a search matches, in its order, with keyset pagination,
// and counts the matches (up to store.CountCap) when asked.
func (db *DB) ListSessions(ctx context.Context, q store.ListQuery) (store.SessionPage, error) {
	var page store.SessionPage
	l, err := db.listSQL(ctx, q)
	if err != nil {
		return page, err
	}
	rows, err := db.pool.Query(ctx, l.query, append([]any{custom}, l.args...)...)
	if err != nil {
		return page, fmt.Errorf("postgres: list sessions: %w", err)
	}
	defer rows.Close()
	var keys []int64
	for rows.Next() {
		var k int64
		s, err := scanSession(rows, &k)
		if err != nil {
			return page, fmt.Errorf("postgres: list sessions: %w", err)
		}
		page.Sessions = append(page.Sessions, s)
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("postgres: list sessions: %w", err)
	}
	// The first page holding every match is the count.
	if q.Count && q.Cursor == "" && len(page.Sessions) <= q.Limit && len(page.Sessions) <= store.CountCap {
		page.Count = len(page.Sessions)
	} else if q.Count {
		if err := db.pool.QueryRow(ctx, l.count, append([]any{custom}, l.countArgs...)...).Scan(&page.Count); err != nil {
			return page, fmt.Errorf("postgres: count sessions: %w", err)
		}
		if page.Count > store.CountCap {
			page.Count, page.Capped = store.CountCap, true
		}
	}
	if len(page.Sessions) > q.Limit {
		page.Sessions = page.Sessions[:q.Limit]
		page.Next = encodeCursor(keys[q.Limit-1], page.Sessions[q.Limit-1].ID)
	}
	return page, nil
}

// listing is a list query's SQL: the page (one row more than asked, to know whether another
// page follows) and the count up to store.CountCap + 1.
type listing struct {
	query, count    string
	args, countArgs []any
}

func (db *DB) listSQL(ctx context.Context, q store.ListQuery) (listing, error) {
	var l listing
	sortBy := search.Recent
	var root search.Node
	if q.Query != nil {
		sortBy, root = q.Query.Sort, q.Query.Root
	}
	c := &compiler{ctx: ctx, db: db, root: root}
	var where []string
	if q.ProjectID != "" {
		where = append(where, `s.project_id = `+c.arg(q.ProjectID))
	}
	if root != nil {
		w, err := c.node(root)
		if err != nil {
			return l, err
		}
		where = append(where, "("+w+")")
	}
	if t, ok := root.(*search.Term); ok && c.lookup != nil && c.lookupOf == t {
		c.count = &countPlan{lookup: *c.lookup}
	}
	key := sortKey(sortBy)
	countWhere := append([]string(nil), where...)
	l.countArgs = append(append([]any(nil), c.args...), store.CountCap+1)
	limit := `$` + strconv.Itoa(len(l.countArgs))
	l.count = `SELECT COUNT(*) FROM (SELECT 1 FROM sessions s` + whereClause(countWhere) + ` LIMIT ` + limit + `) c`
	if p := c.count; p != nil {
		// Each session the lookup's rows name, once, if it is in the project and passes the
		// other terms (countPlan).
		inner := []string{`s.id = d.session_id`}
		if q.ProjectID != "" {
			inner = append(inner, `s.project_id = $1`)
		}
		if p.rest != "" {
			inner = append(inner, p.rest)
		}
		l.count = `SELECT COUNT(*) FROM (SELECT d.session_id FROM ` + p.table + ` d WHERE ` + p.first() +
			` AND (SELECT true FROM sessions s WHERE ` + strings.Join(inner, ` AND `) + `) IS NOT NULL LIMIT ` + limit + `) c`
	}
	if q.Cursor != "" {
		at, id, err := decodeCursor(q.Cursor)
		if err != nil {
			return l, fmt.Errorf("postgres: list sessions: %w", err)
		}
		// A row comparison, which PostgreSQL answers from the (key DESC, id DESC) index.
		where = append(where, `(`+key+`, s.id) < (`+c.arg(at)+`::bigint, `+c.arg(id)+`)`)
	}
	l.query = `SELECT ` + key + `, ` + sessionColsS + ` FROM sessions s` + whereClause(where) + ` ORDER BY ` + key + ` DESC, s.id DESC LIMIT ` + c.arg(q.Limit+1)
	l.args = c.args
	return l, nil
}

func whereClause(where []string) string {
	if len(where) == 0 {
		return ""
	}
	return ` WHERE ` + strings.Join(where, ` AND `)
}

// GetSession returns one session with its pages in visit order.
func (db *DB) GetSession(ctx context.Context, id string) (store.Session, error) {
	id = clean(id)
	var sc store.ScrubCounts
	s, err := scanSession(db.pool.QueryRow(ctx, `SELECT `+scrubCols+`, `+sessionCols+` FROM sessions WHERE id = $1`, id), &sc[0], &sc[1], &sc[2], &sc[3], &sc[4], &sc[5])
	s.Scrubbed = sc.Map()
	if errors.Is(err, pgx.ErrNoRows) {
		return s, fmt.Errorf("postgres: session %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return s, fmt.Errorf("postgres: session %s: %w", id, err)
	}
	rows, err := db.pool.Query(ctx, `SELECT url FROM session_pages WHERE session_id = $1 ORDER BY at, id`, id)
	urls, err := scanIDs(rows, err)
	if err != nil {
		return s, fmt.Errorf("postgres: session %s pages: %w", id, err)
	}
	s.URLs = nonNil(urls)
	rows, err = db.pool.Query(ctx, `SELECT user_id, first_at FROM session_users WHERE session_id = $1 ORDER BY first_at, user_id`, id)
	if err != nil {
		return s, fmt.Errorf("postgres: session %s user ids: %w", id, err)
	}
	defer rows.Close()
	s.UserIDs = []store.SessionUser{}
	for rows.Next() {
		var u store.SessionUser
		var at int64
		if err := rows.Scan(&u.UserID, &at); err != nil {
			return s, fmt.Errorf("postgres: session %s user ids: %w", id, err)
		}
		u.FirstAt = fromMS(at)
		s.UserIDs = append(s.UserIDs, u)
	}
	if err := rows.Err(); err != nil {
		return s, fmt.Errorf("postgres: session %s user ids: %w", id, err)
	}
	return s, nil
}

// Chunks lists a session's chunks by tab, then sequence.
func (db *DB) Chunks(ctx context.Context, sessionID string) ([]store.Chunk, error) {
	rows, err := db.pool.Query(ctx, `SELECT session_id, tab, seq, first_at, last_at, events, raw_bytes, stored_bytes, blob_key, snapshot_at, compacted, blob_offset, blob_length
		FROM chunks WHERE session_id = $1 ORDER BY tab, seq`, clean(sessionID))
	if err != nil {
		return nil, fmt.Errorf("postgres: chunks %s: %w", sessionID, err)
	}
	defer rows.Close()
	var out []store.Chunk
	for rows.Next() {
		var c store.Chunk
		var first, last, snap int64
		if err := rows.Scan(&c.SessionID, &c.Tab, &c.Seq, &first, &last, &c.Events, &c.RawBytes, &c.StoredBytes, &c.BlobKey, &snap, &c.Compacted, &c.BlobOffset, &c.BlobLength); err != nil {
			return nil, fmt.Errorf("postgres: chunks %s: %w", sessionID, err)
		}
		c.FirstAt, c.LastAt, c.SnapshotAt = fromMS(first), fromMS(last), optTime(snap)
		out = append(out, c)
	}
	return out, rows.Err()
}

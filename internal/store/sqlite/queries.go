package sqlite

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/search"
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
		`INSERT INTO projects(id, name, public_key, allowed_origins, created_at, retention_days, sdk_config, friction) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Name, p.PublicKey, string(origins), ms(p.CreatedAt), p.RetentionDays, jsonObject(p.SDKConfig), jsonObject(p.Friction))
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
	res, err := db.write.ExecContext(ctx, `UPDATE projects SET name = ?, allowed_origins = ?, retention_days = ?, sdk_config = ?, friction = ? WHERE id = ?`,
		p.Name, string(origins), p.RetentionDays, jsonObject(p.SDKConfig), jsonObject(p.Friction), p.ID)
	if err != nil {
		return fmt.Errorf("sqlite: update project %s: %w", p.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlite: update project %s: %w", p.ID, store.ErrNotFound)
	}
	return nil
}

const projectCols = `id, name, public_key, allowed_origins, created_at, retention_days, sdk_config, friction`

func scanProject(row interface{ Scan(...any) error }) (store.Project, error) {
	var p store.Project
	var origins, config, friction string
	var created int64
	if err := row.Scan(&p.ID, &p.Name, &p.PublicKey, &origins, &created, &p.RetentionDays, &config, &friction); err != nil {
		return p, err
	}
	p.SDKConfig, p.Friction = json.RawMessage(config), json.RawMessage(friction)
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

// ProjectByKey finds the project owning a public ingest key.
func (db *DB) ProjectByKey(ctx context.Context, key string) (store.Project, error) {
	p, err := scanProject(db.reads.queryRow(ctx, db.read, `SELECT `+projectCols+` FROM projects WHERE public_key = ?`, key))
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

// CreateUser inserts a user and returns it with its id.
func (db *DB) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	res, err := db.write.ExecContext(ctx,
		`INSERT INTO users(email, password_hash, role, created_at) VALUES (?, ?, ?, ?)`,
		u.Email, u.PasswordHash, u.Role, ms(u.CreatedAt))
	if isUniqueViolation(err) {
		return u, fmt.Errorf("sqlite: create user: %w", store.ErrDuplicate)
	}
	if err != nil {
		return u, fmt.Errorf("sqlite: create user: %w", err)
	}
	u.ID, err = res.LastInsertId()
	return u, err
}

const userCols = `id, email, password_hash, role, created_at`

func (db *DB) userWhere(ctx context.Context, where string, arg any) (store.User, error) {
	var u store.User
	var created int64
	err := db.read.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE `+where, arg).
		Scan(&u.ID, &u.Email, &u.PasswordHash, &u.Role, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("sqlite: user: %w", store.ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("sqlite: user: %w", err)
	}
	u.CreatedAt = fromMS(created)
	return u, nil
}

// UserByEmail finds a user by email, ignoring case.
func (db *DB) UserByEmail(ctx context.Context, email string) (store.User, error) {
	return db.userWhere(ctx, `email = ?`, email)
}

// UserByID finds a user by id.
func (db *DB) UserByID(ctx context.Context, id int64) (store.User, error) {
	return db.userWhere(ctx, `id = ?`, id)
}

// CountUsers returns how many users exist.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count users: %w", err)
	}
	return n, nil
}

// SetPassword replaces a user's password hash and ends the user's logins.
func (db *DB) SetPassword(ctx context.Context, userID int64, hash string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: set password: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, userID)
	if err != nil {
		return fmt.Errorf("sqlite: set password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlite: set password: %w", store.ErrNotFound)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM logins WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("sqlite: set password: %w", err)
	}
	return tx.Commit()
}

// CreateLogin stores a login session.
func (db *DB) CreateLogin(ctx context.Context, l store.Login) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO logins(token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		l.TokenHash, l.UserID, ms(l.CreatedAt), ms(l.ExpiresAt))
	if err != nil {
		return fmt.Errorf("sqlite: create login: %w", err)
	}
	return nil
}

// LoginByTokenHash finds a login that has not expired at now.
func (db *DB) LoginByTokenHash(ctx context.Context, hash string, now time.Time) (store.Login, error) {
	var l store.Login
	var created, expires int64
	err := db.read.QueryRowContext(ctx, `SELECT token_hash, user_id, created_at, expires_at FROM logins WHERE token_hash = ? AND expires_at > ?`, hash, ms(now)).
		Scan(&l.TokenHash, &l.UserID, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return l, fmt.Errorf("sqlite: login: %w", store.ErrNotFound)
	}
	if err != nil {
		return l, fmt.Errorf("sqlite: login: %w", err)
	}
	l.CreatedAt, l.ExpiresAt = fromMS(created), fromMS(expires)
	return l, nil
}

// DeleteLogin ends a login session.
func (db *DB) DeleteLogin(ctx context.Context, hash string) error {
	if _, err := db.write.ExecContext(ctx, `DELETE FROM logins WHERE token_hash = ?`, hash); err != nil {
		return fmt.Errorf("sqlite: delete login: %w", err)
	}
	return nil
}

// HasChunk reports whether a batch is already stored, so retries skip the work.
func (db *DB) HasChunk(ctx context.Context, sessionID, tab string, seq int64) (bool, error) {
	var one int
	err := db.reads.queryRow(ctx, db.read, `SELECT 1 FROM chunks WHERE session_id = ? AND tab = ? AND seq = ?`, sessionID, tab, seq).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqlite: has chunk: %w", err)
	}
	return true, nil
}

// AppendBatch records a stored chunk and folds it into its session's row, in one transaction.
func (db *DB) AppendBatch(ctx context.Context, b store.Batch) error {
	return db.AppendBatches(ctx, []store.Batch{b})[0]
}

// AppendBatches records several batches in one transaction, each behind a savepoint so a
// duplicate or conflicting batch changes nothing while the others commit.
func (db *DB) AppendBatches(ctx context.Context, bs []store.Batch) []error {
	errs := make([]error, len(bs))
	fail := func(err error) []error {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	db.stmts.prepareWanted(ctx, db.write)
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fail(fmt.Errorf("sqlite: append batches: %w", err))
	}
	defer sqlTx.Rollback()
	tx := newPreparedTx(sqlTx, &db.stmts)
	for i, b := range bs {
		if _, err := tx.ExecContext(ctx, `SAVEPOINT batch`); err != nil {
			return fail(fmt.Errorf("sqlite: append batches: %w", err))
		}
		err := appendBatch(ctx, tx, b)
		if errors.Is(err, store.ErrDuplicate) || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrTooLong) {
			if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO batch`); rerr != nil {
				return fail(fmt.Errorf("sqlite: append batches: %w", rerr))
			}
			errs[i] = err
		} else if err != nil {
			return fail(err)
		}
		if _, err := tx.ExecContext(ctx, `RELEASE batch`); err != nil {
			return fail(fmt.Errorf("sqlite: append batches: %w", err))
		}
	}
	seen, err := db.text.begin(ctx, tx)
	if err != nil {
		return fail(fmt.Errorf("sqlite: append batches: %w", err))
	}
	for i, b := range bs {
		if errs[i] == nil {
			if err := indexText(ctx, tx, seen, b.Chunk.SessionID, b.Text); err != nil {
				return fail(fmt.Errorf("sqlite: append batches: %w", err))
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(fmt.Errorf("sqlite: append batches: commit: %w", err))
	}
	db.text.commit(seen)
	return errs
}

// updateSession folds a batch into its session's row; updateSessionPages also recounts its
// pages and finds its entry and exit pages. Tabs are recounted only for a tab's first chunk.
const (
	recountTabs = `CASE WHEN EXISTS (SELECT 1 FROM chunks WHERE session_id = ?8 AND tab = ?11 AND seq <> ?12) THEN tabs
			ELSE (SELECT COUNT(DISTINCT tab) FROM chunks WHERE session_id = ?8) END`
	updateSession = `UPDATE sessions SET
			user_id    = CASE WHEN ?10 <> '' THEN ?10 ELSE user_id END,
			last_batch_at = ?9,
			started_at = MIN(started_at, ?1),
			ended_at   = MAX(ended_at, ?2),
			clicks     = clicks + ?3,
			events     = events + ?4,
			active_ms  = active_ms + ?13,
			user_agent = CASE WHEN user_agent = '' THEN ?5 ELSE user_agent END,
			vp_width   = CASE WHEN ?6 > 0 THEN ?6 ELSE vp_width END,
			vp_height  = CASE WHEN ?7 > 0 THEN ?7 ELSE vp_height END,
			tabs       = ` + recountTabs + `,
			updated_at = ?9
		WHERE id = ?8`
	updateSessionPages = `UPDATE sessions SET
			user_id    = CASE WHEN ?10 <> '' THEN ?10 ELSE user_id END,
			last_batch_at = ?9,
			started_at = MIN(started_at, ?1),
			ended_at   = MAX(ended_at, ?2),
			clicks     = clicks + ?3,
			events     = events + ?4,
			active_ms  = active_ms + ?13,
			user_agent = CASE WHEN user_agent = '' THEN ?5 ELSE user_agent END,
			vp_width   = CASE WHEN ?6 > 0 THEN ?6 ELSE vp_width END,
			vp_height  = CASE WHEN ?7 > 0 THEN ?7 ELSE vp_height END,
			pages      = (SELECT COUNT(*) FROM session_pages WHERE session_id = ?8),
			entry_url  = COALESCE((SELECT url FROM session_pages WHERE session_id = ?8 ORDER BY at, rowid LIMIT 1), ''),
			exit_url   = COALESCE((SELECT url FROM session_pages WHERE session_id = ?8 ORDER BY at DESC, rowid DESC LIMIT 1), ''),
			entry_path = COALESCE((SELECT path FROM session_pages WHERE session_id = ?8 ORDER BY at, rowid LIMIT 1), ''),
			exit_path  = COALESCE((SELECT path FROM session_pages WHERE session_id = ?8 ORDER BY at DESC, rowid DESC LIMIT 1), ''),
			tabs       = ` + recountTabs + `,
			updated_at = ?9
		WHERE id = ?8`
)

func appendBatch(ctx context.Context, tx querier, b store.Batch) error {
	c := b.Chunk
	var owner string
	var started, ended int64
	err := tx.QueryRowContext(ctx, `SELECT project_id, started_at, ended_at FROM sessions WHERE id = ?`, c.SessionID).Scan(&owner, &started, &ended)
	if err == nil && b.MaxSpan > 0 && max(ended, ms(c.LastAt))-min(started, ms(c.FirstAt)) > b.MaxSpan.Milliseconds() {
		return fmt.Errorf("sqlite: append batch: session %s: %w", c.SessionID, store.ErrTooLong)
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, `INSERT INTO sessions(id, project_id, started_at, ended_at, user_agent, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			c.SessionID, b.ProjectID, ms(c.FirstAt), ms(c.LastAt), b.UserAgent, time.Now().UnixMilli())
		if err != nil {
			return fmt.Errorf("sqlite: append batch: create session: %w", err)
		}
	case err != nil:
		return fmt.Errorf("sqlite: append batch: %w", err)
	case owner != b.ProjectID:
		return fmt.Errorf("sqlite: append batch: session %s: %w", c.SessionID, store.ErrConflict)
	}

	_, err = tx.ExecContext(ctx, `INSERT INTO chunks(session_id, tab, seq, first_at, last_at, events, raw_bytes, stored_bytes, blob_key, sent_at, created_at, snapshot_at, blob_offset, blob_length)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.SessionID, c.Tab, c.Seq, ms(c.FirstAt), ms(c.LastAt), c.Events, c.RawBytes, c.StoredBytes, c.BlobKey, ms(b.SentAt), time.Now().UnixMilli(), optMS(c.SnapshotAt), c.BlobOffset, c.BlobLength)
	if isUniqueViolation(err) {
		return fmt.Errorf("sqlite: append batch %s/%s/%d: %w", c.SessionID, c.Tab, c.Seq, store.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("sqlite: append batch: insert chunk: %w", err)
	}
	for _, p := range b.Pages {
		if _, err := tx.ExecContext(ctx, `INSERT INTO session_pages(session_id, tab, at, url, path) VALUES (?, ?, ?, ?, ?)`, c.SessionID, p.Tab, ms(p.At), p.URL, urlPath(p.URL)); err != nil {
			return fmt.Errorf("sqlite: append batch: insert page: %w", err)
		}
	}
	if err := indexForSearch(ctx, tx, b); err != nil {
		return fmt.Errorf("sqlite: append batch: %w", err)
	}
	now := time.Now()
	if err := addContent(ctx, tx, b.ProjectID, c.SessionID, b.Content, now); err != nil {
		return fmt.Errorf("sqlite: append batch: %w", err)
	}
	// Pages, entry and exit change only with a page view; most batches carry none and skip
	// those subqueries.
	update := updateSession
	if len(b.Pages) > 0 {
		update = updateSessionPages
	}
	_, err = tx.ExecContext(ctx, update,
		ms(c.FirstAt), ms(c.LastAt), b.Clicks, c.Events, b.UserAgent, b.Viewport.Width, b.Viewport.Height, c.SessionID, ms(now), b.UserID, c.Tab, c.Seq, b.ActiveMS)
	if err != nil {
		return fmt.Errorf("sqlite: append batch: update session: %w", err)
	}
	if err := indexMore(ctx, tx, b); err != nil {
		return fmt.Errorf("sqlite: append batch: %w", err)
	}
	return nil
}

const sessionCols = `id, project_id, started_at, ended_at, pages, entry_url, exit_url, clicks, events, tabs, user_agent, vp_width, vp_height, updated_at, user_id, compacted_at, country, errors, failed_requests, score, summary, friction, rage_clicks, dead_clicks, active_ms`

// sessionColsS is sessionCols for a query that names the table s.
const sessionColsS = `s.id, s.project_id, s.started_at, s.ended_at, s.pages, s.entry_url, s.exit_url, s.clicks, s.events, s.tabs, s.user_agent, s.vp_width, s.vp_height, s.updated_at, s.user_id, s.compacted_at, s.country, s.errors, s.failed_requests, s.score, s.summary, s.friction, s.rage_clicks, s.dead_clicks, s.active_ms`

// scanSession reads sessionCols, after any extra leading columns.
func scanSession(row interface{ Scan(...any) error }, extra ...any) (store.Session, error) {
	var s store.Session
	var started, ended, updated, compacted int64
	err := row.Scan(append(extra, &s.ID, &s.ProjectID, &started, &ended, &s.Pages, &s.EntryURL, &s.ExitURL, &s.Clicks, &s.Events, &s.Tabs,
		&s.UserAgent, &s.Viewport.Width, &s.Viewport.Height, &updated, &s.UserID, &compacted, &s.Country, &s.Errors, &s.Failed,
		&s.Score, &s.Summary, &s.Friction, &s.RageClicks, &s.DeadClicks, &s.ActiveMS)...)
	s.StartedAt, s.EndedAt, s.UpdatedAt, s.Compacted = fromMS(started), fromMS(ended), fromMS(updated), optTime(compacted)
	return s, err
}

// optMS stores a zero time as 0.
func optMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func optTime(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromMS(v)
}

// A cursor is the last row's sort key and id, so the next page starts strictly after it
// whatever the order.
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
	return v, id, nil
}

// ListSessions returns the sessions a search matches, in its order, with keyset pagination,
// and counts the matches (up to store.CountCap) when asked.
func (db *DB) ListSessions(ctx context.Context, q store.ListQuery) (store.SessionPage, error) {
	var page store.SessionPage
	sortBy := search.Recent
	var root search.Node
	if q.Query != nil {
		sortBy, root = q.Query.Sort, q.Query.Root
	}
	filter, args, count, err := db.compileWhere(ctx, root)
	if err != nil {
		return page, err
	}
	var where []string
	if q.ProjectID != "" {
		where = append(where, `s.project_id = ?`)
		args = append([]any{q.ProjectID}, args...)
	}
	if filter != "" {
		where = append(where, "("+filter+")")
	}
	key := sortKey(sortBy)
	countWhere, countArgs := slices.Clone(where), slices.Clone(args)
	if q.Cursor != "" {
		at, id, err := decodeCursor(q.Cursor)
		if err != nil {
			return page, fmt.Errorf("sqlite: list sessions: %w", err)
		}
		where = append(where, `(`+key+` < ? OR (`+key+` = ? AND s.id < ?))`)
		args = append(args, at, at, id)
	}
	query := `SELECT ` + key + `, ` + sessionColsS + ` FROM sessions s` + whereClause(where) + ` ORDER BY ` + key + ` DESC, s.id DESC LIMIT ?`
	args = append(args, q.Limit+1)
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return page, fmt.Errorf("sqlite: list sessions: %w", err)
	}
	defer rows.Close()
	var keys []int64
	for rows.Next() {
		var k int64
		s, err := scanSession(rows, &k)
		if err != nil {
			return page, fmt.Errorf("sqlite: list sessions: %w", err)
		}
		page.Sessions = append(page.Sessions, s)
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("sqlite: list sessions: %w", err)
	}
	// The first page holding every match is the count: a query matching few sessions walks
	// its candidates once, not once more to count them.
	if q.Count && q.Cursor == "" && len(page.Sessions) <= q.Limit && len(page.Sessions) <= store.CountCap {
		page.Count = len(page.Sessions)
	} else if q.Count {
		query := `SELECT COUNT(*) FROM (SELECT 1 FROM sessions s` + whereClause(countWhere) + ` LIMIT ?)`
		if count != nil {
			// Each session the lookup's rows name, once, if it passes the other lookups, is
			// in the project and passes the other terms.
			query, countArgs = countFrom(count, q.ProjectID)
		}
		if err := db.read.QueryRowContext(ctx, query, append(countArgs, store.CountCap+1)...).Scan(&page.Count); err != nil {
			return page, fmt.Errorf("sqlite: count sessions: %w", err)
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

// countFrom is the query counting a conjunction's sessions from its lookup's rows (countPlan),
// with its arguments but for the final LIMIT.
func countFrom(p *countPlan, project string) (string, []any) {
	from, cond, args := p.table+` d`, p.cond, slices.Clone(p.args)
	if p.from != "" {
		from, cond, args = p.from, p.fromCond, slices.Clone(p.fromArgs)
	}
	outer := []string{cond}
	for _, l := range p.others {
		outer = append(outer, l.test("d.session_id"))
		args = append(args, l.args...)
	}
	inner := []string{`s.id = d.session_id`}
	if project != "" {
		inner = append(inner, `s.project_id = ?`)
		args = append(args, project)
	}
	if p.rest != "" {
		inner = append(inner, "("+p.rest+")")
		args = append(args, p.restArgs...)
	}
	return `SELECT COUNT(*) FROM (SELECT DISTINCT d.session_id FROM ` + from + ` WHERE ` + strings.Join(outer, ` AND `) +
		` AND (SELECT 1 FROM sessions s WHERE ` + strings.Join(inner, ` AND `) + `) IS NOT NULL LIMIT ?)`, args
}

func whereClause(where []string) string {
	if len(where) == 0 {
		return ""
	}
	return ` WHERE ` + strings.Join(where, ` AND `)
}

// GetSession returns one session with its pages in visit order.
func (db *DB) GetSession(ctx context.Context, id string) (store.Session, error) {
	s, err := scanSession(db.read.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("sqlite: session %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return s, fmt.Errorf("sqlite: session %s: %w", id, err)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT url FROM session_pages WHERE session_id = ? ORDER BY at, rowid`, id)
	if err != nil {
		return s, fmt.Errorf("sqlite: session %s pages: %w", id, err)
	}
	defer rows.Close()
	s.URLs = []string{}
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return s, fmt.Errorf("sqlite: session %s pages: %w", id, err)
		}
		s.URLs = append(s.URLs, u)
	}
	return s, rows.Err()
}

// Chunks lists a session's chunks by tab, then sequence.
func (db *DB) Chunks(ctx context.Context, sessionID string) ([]store.Chunk, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT session_id, tab, seq, first_at, last_at, events, raw_bytes, stored_bytes, blob_key, snapshot_at, compacted, blob_offset, blob_length
		FROM chunks WHERE session_id = ? ORDER BY tab, seq`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: chunks %s: %w", sessionID, err)
	}
	defer rows.Close()
	var out []store.Chunk
	for rows.Next() {
		var c store.Chunk
		var first, last, snap int64
		if err := rows.Scan(&c.SessionID, &c.Tab, &c.Seq, &first, &last, &c.Events, &c.RawBytes, &c.StoredBytes, &c.BlobKey, &snap, &c.Compacted, &c.BlobOffset, &c.BlobLength); err != nil {
			return nil, fmt.Errorf("sqlite: chunks %s: %w", sessionID, err)
		}
		c.FirstAt, c.LastAt, c.SnapshotAt = fromMS(first), fromMS(last), optTime(snap)
		out = append(out, c)
	}
	return out, rows.Err()
}

// EnsureSetting stores value under name unless a value exists, and returns the stored value.
func (db *DB) EnsureSetting(ctx context.Context, name, value string) (string, error) {
	if _, err := db.write.ExecContext(ctx, `INSERT INTO settings(name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING`, name, value); err != nil {
		return "", fmt.Errorf("sqlite: ensure setting %s: %w", name, err)
	}
	var v string
	if err := db.write.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v); err != nil {
		return "", fmt.Errorf("sqlite: ensure setting %s: %w", name, err)
	}
	return v, nil
}

package sqlite

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
)

const sessionCols = `id, project_id, started_at, ended_at, pages, entry_url, exit_url, clicks, events, tabs, user_agent, vp_width, vp_height, updated_at, user_id, compacted_at, country, errors, failed_requests, score, summary, friction, rage_clicks, dead_clicks, active_ms`

// sessionColsS is sessionCols for a query that names the table s.
const sessionColsS = `s.id, s.project_id, s.started_at, s.ended_at, s.pages, s.entry_url, s.exit_url, s.clicks, s.events, s.tabs, s.user_agent, s.vp_width, s.vp_height, s.updated_at, s.user_id, s.compacted_at, s.country, s.errors, s.failed_requests, s.score, s.summary, s.friction, s.rage_clicks, s.dead_clicks, s.active_ms`

// scrubCols are a session's scrubbed_<kind> columns, in store.ScrubKinds order.
const scrubCols = `scrubbed_card, scrubbed_email, scrubbed_phone, scrubbed_iban, scrubbed_token, scrubbed_custom`

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
	var sc store.ScrubCounts
	s, err := scanSession(db.read.QueryRowContext(ctx, `SELECT `+scrubCols+`, `+sessionCols+` FROM sessions WHERE id = ?`, id), &sc[0], &sc[1], &sc[2], &sc[3], &sc[4], &sc[5])
	s.Scrubbed = sc.Map()
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
	if err := rows.Err(); err != nil {
		return s, fmt.Errorf("sqlite: session %s pages: %w", id, err)
	}
	users, err := db.read.QueryContext(ctx, `SELECT user_id, first_at FROM session_users WHERE session_id = ? ORDER BY first_at, user_id`, id)
	if err != nil {
		return s, fmt.Errorf("sqlite: session %s user ids: %w", id, err)
	}
	defer users.Close()
	s.UserIDs = []store.SessionUser{}
	for users.Next() {
		var u store.SessionUser
		var at int64
		if err := users.Scan(&u.UserID, &at); err != nil {
			return s, fmt.Errorf("sqlite: session %s user ids: %w", id, err)
		}
		u.FirstAt = fromMS(at)
		s.UserIDs = append(s.UserIDs, u)
	}
	return s, users.Err()
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

func scanIDs(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

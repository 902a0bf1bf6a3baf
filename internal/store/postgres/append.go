package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/internal/measure"
	"github.com/reelhq/reel/internal/store"
)

// clean makes a string storable as PostgreSQL text, which refuses NUL and invalid UTF-8 where
// SQLite stores any bytes: NUL is dropped and each invalid sequence becomes U+FFFD. Every
// string a batch writes goes through it, and every string a lookup compares with, so a value
// is found again as it was written (docs/decisions.md).
func clean(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
}

func cleanAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = clean(s)
	}
	return out
}

// cleanBatch is b with every string clean.
func cleanBatch(b store.Batch) store.Batch {
	b.ProjectID = clean(b.ProjectID)
	b.Chunk.SessionID, b.Chunk.Tab, b.Chunk.BlobKey = clean(b.Chunk.SessionID), clean(b.Chunk.Tab), clean(b.Chunk.BlobKey)
	pages := make([]store.Page, len(b.Pages))
	for i, p := range b.Pages {
		pages[i] = store.Page{Tab: clean(p.Tab), At: p.At, URL: clean(p.URL)}
	}
	b.Pages = pages
	b.UserAgent, b.UserID, b.Referrer = clean(b.UserAgent), clean(b.UserID), clean(b.Referrer)
	b.Browser, b.OS, b.Device, b.Country = clean(b.Browser), clean(b.OS), clean(b.Device), clean(b.Country)
	b.ErrorMessages, b.EventNames = dedupe(cleanAll(b.ErrorMessages)), dedupe(cleanAll(b.EventNames))
	if b.Traits != nil {
		traits := make(map[string]string, len(b.Traits))
		for k, v := range b.Traits {
			traits[clean(k)] = clean(v)
		}
		b.Traits = traits
	}
	props := make([]store.Prop, len(b.EventProps))
	for i, p := range b.EventProps {
		props[i] = store.Prop{Key: clean(p.Key), Value: clean(p.Value)}
	}
	b.EventProps = props
	var users []store.SessionUser
	for _, u := range b.AllUserIDs() {
		u.UserID = clean(u.UserID)
		if !slices.ContainsFunc(users, func(v store.SessionUser) bool { return v.UserID == u.UserID }) {
			users = append(users, u)
		}
	}
	b.UserIDs = users
	return b
}

// dedupe keeps the first of equal strings: cleaning may make two distinct ones equal.
func dedupe(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	out := ss[:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// urlPath is the path of a page URL, what visited:/… matches; "" when it has none.
func urlPath(raw string) string { return clean(measure.Path(raw)) }

// AppendBatch records a stored chunk and folds it into its session's row, in one transaction.
func (db *DB) AppendBatch(ctx context.Context, b store.Batch) error {
	return db.AppendBatches(ctx, []store.Batch{b})[0]
}

// AppendBatches commits batches in one transaction, each under a savepoint so a duplicate or
// conflicting batch is refused alone. Rows shared between sessions are written in one fixed
// order so that concurrent group commits (several ingest nodes) wait for each other instead
// of deadlocking: first content items (by project and hash) and error messages (by hash),
// then the sessions in id order (each batch locks its session row first), then pieces of
// on-screen text (by hash).
func (db *DB) AppendBatches(ctx context.Context, bs []store.Batch) []error {
	errs := make([]error, len(bs))
	fail := func(err error) []error {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	cleaned := make([]store.Batch, len(bs))
	for i, b := range bs {
		cleaned[i] = cleanBatch(b)
	}
	order := make([]int, len(bs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return cleaned[order[a]].Chunk.SessionID < cleaned[order[b]].Chunk.SessionID })

	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fail(fmt.Errorf("postgres: append batches: %w", err))
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock_shared($1)`, sharedRowsLock); err != nil {
		return fail(fmt.Errorf("postgres: append batches: %w", err))
	}
	now := time.Now()
	content, err := numberGroupContent(ctx, tx, cleaned, now)
	if err != nil {
		return fail(fmt.Errorf("postgres: append batches: %w", err))
	}
	messages, err := storeMessages(ctx, tx, cleaned)
	if err != nil {
		return fail(fmt.Errorf("postgres: append batches: %w", err))
	}
	// Every batch's session row is locked (or created) at once, in id order, and the refusals
	// (another project's session, a repeated batch, a span too long) are decided here from
	// those rows: with the rows locked no other writer can add a chunk to these sessions, so
	// the writes that follow cannot fail one batch alone and go as one pipeline, instead of a
	// savepoint and five round trips per batch.
	refused, err := admitBatches(ctx, tx, cleaned, order, now)
	if err != nil {
		return fail(fmt.Errorf("postgres: append batches: %w", err))
	}
	var q pgx.Batch
	for _, i := range order {
		if errs[i] = refused[i]; errs[i] == nil {
			queueBatch(&q, cleaned[i], content[cleaned[i].ProjectID], messages, now)
		}
	}
	if q.Len() > 0 {
		if err := tx.SendBatch(ctx, &q).Close(); err != nil {
			return fail(fmt.Errorf("postgres: append batches: %w", err))
		}
	}
	var entries []store.Batch
	for _, i := range order {
		if errs[i] == nil && len(cleaned[i].Pages) > 0 {
			entries = append(entries, cleaned[i])
		}
	}
	if err := indexEntries(ctx, tx, entries); err != nil {
		return fail(fmt.Errorf("postgres: append batches: %w", err))
	}
	var texts []sessionText
	for _, i := range order {
		if errs[i] == nil && len(cleaned[i].Text) > 0 {
			texts = append(texts, sessionText{id: cleaned[i].Chunk.SessionID, pieces: cleaned[i].Text})
		}
	}
	if err := indexText(ctx, tx, texts); err != nil {
		return fail(fmt.Errorf("postgres: append batches: %w", err))
	}
	// The stored chunks' references to their pack, counted last: blob rows are taken after the
	// session rows, in key order, by every writer.
	refs := blobRefs{}
	for _, i := range order {
		if errs[i] == nil {
			refs.add(cleaned[i].Chunk.BlobKey, 1)
		}
	}
	if _, err := refs.apply(ctx, tx); err != nil {
		return fail(fmt.Errorf("postgres: append batches: %w", err))
	}
	if err := tx.Commit(ctx); err != nil {
		return fail(fmt.Errorf("postgres: append batches: commit: %w", err))
	}
	return errs
}

// numberGroupContent records the content items of every batch of a group and their edges,
// project by project in (project, hash) order, and returns their ids by project and hash.
func numberGroupContent(ctx context.Context, tx pgx.Tx, bs []store.Batch, now time.Time) (map[string]map[string]int64, error) {
	byProject := map[string][]store.ContentRef{}
	for _, b := range bs {
		byProject[b.ProjectID] = append(byProject[b.ProjectID], b.Content...)
	}
	out := make(map[string]map[string]int64, len(byProject))
	projects := make([]string, 0, len(byProject))
	for p := range byProject {
		projects = append(projects, p)
	}
	slices.Sort(projects)
	for _, p := range projects {
		ids, err := numberAndLink(ctx, tx, p, byProject[p], now)
		if err != nil {
			return nil, err
		}
		out[p] = ids
	}
	return out, nil
}

// storeMessages stores the error messages of a group's batches that are new, in hash order,
// and returns every message's id.
func storeMessages(ctx context.Context, tx pgx.Tx, bs []store.Batch) (map[string]int64, error) {
	type msg struct {
		hash []byte
		text string
	}
	seen := map[string]bool{}
	var all []msg
	for _, b := range bs {
		for _, m := range b.ErrorMessages {
			if !seen[m] {
				seen[m] = true
				h := sha256.Sum256([]byte(m))
				all = append(all, msg{h[:], m})
			}
		}
	}
	if len(all) == 0 {
		return nil, nil
	}
	slices.SortFunc(all, func(a, b msg) int { return bytes.Compare(a.hash, b.hash) })
	hashes, texts := make([][]byte, len(all)), make([]string, len(all))
	for i, m := range all {
		hashes[i], texts[i] = m.hash, m.text
	}
	if _, err := tx.Exec(ctx, `INSERT INTO error_messages(hash, message) SELECT * FROM unnest($1::bytea[], $2::text[]) ORDER BY 1
		ON CONFLICT (hash) DO NOTHING`, hashes, texts); err != nil {
		return nil, fmt.Errorf("error messages: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT message, id FROM error_messages WHERE hash = ANY($1)`, hashes)
	if err != nil {
		return nil, fmt.Errorf("error messages: %w", err)
	}
	out := map[string]int64{}
	for rows.Next() {
		var m string
		var id int64
		if err := rows.Scan(&m, &id); err != nil {
			return nil, fmt.Errorf("error messages: %w", err)
		}
		out[m] = id
	}
	return out, rows.Err()
}

// updateSession folds a batch into its session's row; updateSessionPages also recounts its
// pages (measure.Pages: a view of the path before it is not a new page) and finds its entry and exit pages. Tabs are recounted only for a tab's first chunk.
const (
	recountTabs = `CASE WHEN EXISTS (SELECT 1 FROM chunks WHERE session_id = $8 AND tab = $11 AND seq <> $12) THEN tabs
			ELSE (SELECT COUNT(DISTINCT tab) FROM chunks WHERE session_id = $8) END`
	updateSessionHead = `UPDATE sessions SET
			user_id    = CASE WHEN $10::text <> '' THEN $10::text ELSE user_id END,
			last_batch_at = $9::bigint,
			started_at = LEAST(started_at, $1::bigint),
			ended_at   = GREATEST(ended_at, $2::bigint),
			clicks     = clicks + $3::integer,
			events     = events + $4::integer,
			active_ms  = active_ms + $13::bigint,
			user_agent = CASE WHEN user_agent = '' THEN $5::text ELSE user_agent END,
			vp_width   = CASE WHEN $6::integer > 0 THEN $6::integer ELSE vp_width END,
			vp_height  = CASE WHEN $7::integer > 0 THEN $7::integer ELSE vp_height END,`
	updateSession = updateSessionHead + `
			tabs       = ` + recountTabs + `,
			updated_at = $9::bigint
		WHERE id = $8`
	updateSessionPages = updateSessionHead + `
			pages      = (SELECT COUNT(*) FROM (SELECT path, LAG(path) OVER (ORDER BY at, id) AS prev FROM session_pages WHERE session_id = $8) v
				WHERE prev IS NULL OR prev <> path),
			entry_url  = COALESCE((SELECT url FROM session_pages WHERE session_id = $8 ORDER BY at, id LIMIT 1), ''),
			exit_url   = COALESCE((SELECT url FROM session_pages WHERE session_id = $8 ORDER BY at DESC, id DESC LIMIT 1), ''),
			entry_path = COALESCE((SELECT path FROM session_pages WHERE session_id = $8 ORDER BY at, id LIMIT 1), ''),
			exit_path  = COALESCE((SELECT path FROM session_pages WHERE session_id = $8 ORDER BY at DESC, id DESC LIMIT 1), ''),
			tabs       = ` + recountTabs + `,
			updated_at = $9::bigint
		WHERE id = $8`
)

// session is what admitBatches knows of a session of the group.
type groupSession struct {
	project        string
	started, ended int64
	chunks         map[string]bool
}

// admitBatches locks the sessions of a group's batches in id order (creating those that do not
// exist yet) and decides, in the batches' order, which are refused: ErrConflict for a session
// of another project, ErrDuplicate for a (session, tab, seq) stored already or earlier in the
// group, ErrTooLong for a batch that would stretch its session past the batch's MaxSpan. It
// returns one error per batch, nil for those to write.
func admitBatches(ctx context.Context, tx pgx.Tx, bs []store.Batch, order []int, now time.Time) ([]error, error) {
	ids, projects, firsts, lasts, agents := []string{}, []string{}, []int64{}, []int64{}, []string{}
	seen := map[string]bool{}
	tabs, seqs, sids := []string{}, []int64{}, []string{}
	for _, i := range order {
		c := bs[i].Chunk
		sids, tabs, seqs = append(sids, c.SessionID), append(tabs, c.Tab), append(seqs, c.Seq)
		// A batch spanning more than its MaxSpan alone is refused below whatever its session
		// holds, so it never creates one: the session is created by the next batch that fits.
		if seen[c.SessionID] || tooLong(bs[i], ms(c.FirstAt), ms(c.LastAt)) {
			continue
		}
		seen[c.SessionID] = true
		ids, projects, firsts, lasts, agents = append(ids, c.SessionID), append(projects, bs[i].ProjectID), append(firsts, ms(c.FirstAt)), append(lasts, ms(c.LastAt)), append(agents, bs[i].UserAgent)
	}
	// New sessions are created by their first batch of the group, in id order, as every
	// writer takes session rows; one another transaction is creating waits for it.
	rows, err := tx.Query(ctx, `INSERT INTO sessions(id, project_id, started_at, ended_at, user_agent, updated_at)
		SELECT u.id, u.p, u.s, u.e, u.a, $6::bigint FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[]) AS u(id, p, s, e, a)
		ORDER BY u.id ON CONFLICT (id) DO NOTHING RETURNING id`, ids, projects, firsts, lasts, agents, now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("create sessions: %w", err)
	}
	created, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("create sessions: %w", err)
	}
	sessions := make(map[string]*groupSession, len(ids))
	rows, err = tx.Query(ctx, `SELECT id, project_id, started_at, ended_at FROM sessions WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids)
	if err != nil {
		return nil, fmt.Errorf("lock sessions: %w", err)
	}
	for rows.Next() {
		g := &groupSession{chunks: map[string]bool{}}
		var id string
		if err := rows.Scan(&id, &g.project, &g.started, &g.ended); err != nil {
			rows.Close()
			return nil, fmt.Errorf("lock sessions: %w", err)
		}
		sessions[id] = g
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lock sessions: %w", err)
	}
	erased, err := refuseErased(ctx, tx, ids, created)
	if err != nil {
		return nil, err
	}
	rows, err = tx.Query(ctx, `SELECT c.session_id, c.tab, c.seq FROM chunks c
		JOIN unnest($1::text[], $2::text[], $3::bigint[]) AS u(s, t, q) ON c.session_id = u.s AND c.tab = u.t AND c.seq = u.q`, sids, tabs, seqs)
	if err != nil {
		return nil, fmt.Errorf("find stored chunks: %w", err)
	}
	for rows.Next() {
		var id, tab string
		var seq int64
		if err := rows.Scan(&id, &tab, &seq); err != nil {
			rows.Close()
			return nil, fmt.Errorf("find stored chunks: %w", err)
		}
		if g := sessions[id]; g != nil {
			g.chunks[fmt.Sprintf("%s/%d", tab, seq)] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find stored chunks: %w", err)
	}
	errs := make([]error, len(bs))
	for _, i := range order {
		b, c := bs[i], bs[i].Chunk
		g := sessions[c.SessionID]
		first, last := ms(c.FirstAt), ms(c.LastAt)
		switch {
		case erased[c.SessionID]:
			errs[i] = fmt.Errorf("postgres: append batch: session %s: %w", c.SessionID, store.ErrErased)
			continue
		case g == nil && tooLong(b, first, last):
			errs[i] = fmt.Errorf("postgres: append batch: session %s: %w", c.SessionID, store.ErrTooLong)
			continue
		case g == nil:
			// Deleted between the insert and the lock: an erasure won the row.
			errs[i] = fmt.Errorf("postgres: append batch: session %s is gone: %w", c.SessionID, store.ErrConflict)
			continue
		case g.project != b.ProjectID:
			errs[i] = fmt.Errorf("postgres: append batch: session %s: %w", c.SessionID, store.ErrConflict)
			continue
		case g.chunks[fmt.Sprintf("%s/%d", c.Tab, c.Seq)]:
			errs[i] = fmt.Errorf("postgres: append batch %s/%s/%d: %w", c.SessionID, c.Tab, c.Seq, store.ErrDuplicate)
			continue
		case tooLong(b, min(g.started, first), max(g.ended, last)):
			errs[i] = fmt.Errorf("postgres: append batch: session %s: %w", c.SessionID, store.ErrTooLong)
			continue
		}
		g.started, g.ended = min(g.started, first), max(g.ended, last)
		g.chunks[fmt.Sprintf("%s/%d", c.Tab, c.Seq)] = true
	}
	return errs, nil
}

// tooLong reports whether a session spanning from first to last (milliseconds) is longer than
// b allows. A session's first batch is held to it too: its event times are the visitor's.
func tooLong(b store.Batch, first, last int64) bool {
	return b.MaxSpan > 0 && last-first > b.MaxSpan.Milliseconds()
}

// queueBatch queues the writes of one admitted batch: its chunk, pages and what it adds to its
// session's row and search rows.
func queueBatch(q *pgx.Batch, b store.Batch, content map[string]int64, messages map[string]int64, now time.Time) {
	c := b.Chunk
	id := c.SessionID
	sc, scTotal := store.ScrubCountsOf(b.Scrubbed)
	q.Queue(`INSERT INTO chunks(session_id, tab, seq, first_at, last_at, events, raw_bytes, stored_bytes, blob_key, sent_at, created_at, snapshot_at, blob_offset, blob_length)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		id, c.Tab, c.Seq, ms(c.FirstAt), ms(c.LastAt), c.Events, c.RawBytes, c.StoredBytes, c.BlobKey, ms(b.SentAt), now.UnixMilli(), optMS(c.SnapshotAt), c.BlobOffset, c.BlobLength)
	if len(b.Pages) > 0 {
		tabs, ats, urls, paths := make([]string, len(b.Pages)), make([]int64, len(b.Pages)), make([]string, len(b.Pages)), make([]string, len(b.Pages))
		for i, p := range b.Pages {
			tabs[i], ats[i], urls[i], paths[i] = p.Tab, ms(p.At), p.URL, urlPath(p.URL)
		}
		q.Queue(`INSERT INTO session_pages(session_id, tab, at, url, path) SELECT $1, p.tab, p.at, p.url, p.path FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[]) WITH ORDINALITY AS p(tab, at, url, path, n) ORDER BY p.n`,
			id, tabs, ats, urls, paths)
	}
	queueVitals(q, b)
	q.Queue(`UPDATE sessions SET
			browser         = CASE WHEN browser = '' THEN $1::text ELSE browser END,
			browser_version = CASE WHEN browser = '' THEN $2::integer ELSE browser_version END,
			os              = CASE WHEN os = '' THEN $3::text ELSE os END,
			device          = CASE WHEN device = '' THEN $4::text ELSE device END,
			country         = CASE WHEN country = '' THEN $5::text ELSE country END,
			errors          = errors + $6::integer,
			failed_requests = failed_requests + $7::integer,
			scrubbed        = scrubbed + $9::integer,
			scrubbed_card   = scrubbed_card + $10::integer,
			scrubbed_email  = scrubbed_email + $11::integer,
			scrubbed_phone  = scrubbed_phone + $12::integer,
			scrubbed_iban   = scrubbed_iban + $13::integer,
			scrubbed_token  = scrubbed_token + $14::integer,
			scrubbed_custom = scrubbed_custom + $15::integer
		WHERE id = $8`, b.Browser, b.BrowserVersion, b.OS, b.Device, b.Country, b.Errors, b.Failed, id,
		scTotal, sc[0], sc[1], sc[2], sc[3], sc[4], sc[5])
	if len(b.EventNames) > 0 {
		q.Queue(`INSERT INTO session_events(session_id, name) SELECT $1, unnest($2::text[]) ON CONFLICT (session_id, md5(name)) DO NOTHING`, id, b.EventNames)
	}
	if len(b.ErrorMessages) > 0 {
		ids := make([]int64, 0, len(b.ErrorMessages))
		for _, m := range b.ErrorMessages {
			ids = append(ids, messages[m])
		}
		q.Queue(`INSERT INTO session_errors(session_id, message_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING`, id, ids)
	}
	if len(b.Traits) > 0 {
		keys := make([]string, 0, len(b.Traits))
		for k := range b.Traits {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		values := make([]string, len(keys))
		for i, k := range keys {
			values[i] = b.Traits[k]
		}
		q.Queue(`INSERT INTO session_traits(session_id, key, value) SELECT $1, * FROM unnest($2::text[], $3::text[])
			ON CONFLICT (session_id, md5(key)) DO UPDATE SET value = excluded.value`, id, keys, values)
	}
	if len(b.UserIDs) > 0 {
		ids, ats := make([]string, len(b.UserIDs)), make([]int64, len(b.UserIDs))
		for i, u := range b.UserIDs {
			ids[i], ats[i] = u.UserID, ms(u.FirstAt)
		}
		q.Queue(`INSERT INTO session_users(session_id, user_id, first_at) SELECT $1, * FROM unnest($2::text[], $3::bigint[])
			ON CONFLICT (session_id, user_id) DO UPDATE SET first_at = LEAST(session_users.first_at, excluded.first_at)`, id, ids, ats)
	}
	update := updateSession
	if len(b.Pages) > 0 {
		update = updateSessionPages
	}
	q.Queue(update, ms(c.FirstAt), ms(c.LastAt), b.Clicks, c.Events, b.UserAgent, b.Viewport.Width, b.Viewport.Height, id, now.UnixMilli(), b.UserID, c.Tab, c.Seq, b.ActiveMS)
	if roots := rootIDs(b.Content, content); len(roots) > 0 {
		q.Queue(addRootsSQL, id, roots)
	}
	if len(b.EventProps) > 0 {
		queueProps(q, id, b.EventProps)
	}
	if len(b.Flags) > 0 {
		queueFlags(q, id, b.Flags)
	}
}

// maxSessionProps bounds the distinct track properties indexed for one session: a page that
// sends a fresh value with every event cannot grow the index without limit.
const maxSessionProps = 200

// queueProps indexes a batch's track properties in one statement: those the session does not
// have yet, in the batch's order, until it has maxSessionProps.
func queueProps(q *pgx.Batch, id string, props []store.Prop) {
	keys, values, hashes := make([]string, len(props)), make([]string, len(props)), make([][]byte, len(props))
	for i, p := range props {
		keys[i], values[i], hashes[i] = p.Key, p.Value, propHash(p)
	}
	q.Queue(`INSERT INTO session_event_props(session_id, key, value, hash)
		SELECT $1, k, v, h FROM (
			SELECT DISTINCT ON (h) k, v, h, n FROM unnest($2::text[], $3::text[], $4::bytea[]) WITH ORDINALITY AS u(k, v, h, n)
			WHERE NOT EXISTS (SELECT 1 FROM session_event_props p WHERE p.session_id = $1 AND p.hash = u.h)
			ORDER BY h, n
		) x
		ORDER BY n
		LIMIT GREATEST(0, $5 - (SELECT COUNT(*) FROM session_event_props WHERE session_id = $1))
		ON CONFLICT DO NOTHING`, id, keys, values, hashes, maxSessionProps)
}

// indexEntries reads each batch's session's entry page UTM parameters, and its referrer when the batch carried the
// entry page. The entry page can change when a batch with an earlier page arrives late, so this
// runs whenever pages arrive.
func indexEntries(ctx context.Context, tx pgx.Tx, bs []store.Batch) error {
	if len(bs) == 0 {
		return nil
	}
	// Each session's entry page, now that the group's pages are in: one round trip for all.
	var q pgx.Batch
	for _, b := range bs {
		q.Queue(`SELECT tab, at, url FROM session_pages WHERE session_id = $1 ORDER BY at, id LIMIT 1`, b.Chunk.SessionID)
	}
	type entry struct {
		tab, url string
		at       int64
	}
	found := make([]entry, len(bs))
	res := tx.SendBatch(ctx, &q)
	for i := range bs {
		if err := res.QueryRow().Scan(&found[i].tab, &found[i].at, &found[i].url); err != nil {
			res.Close()
			return fmt.Errorf("index entry page: %w", err)
		}
	}
	if err := res.Close(); err != nil {
		return fmt.Errorf("index entry page: %w", err)
	}
	var u pgx.Batch
	for i, b := range bs {
		e := found[i]
		src, medium, campaign := utm(e.url)
		sql := `UPDATE sessions SET utm_source = $1, utm_medium = $2, utm_campaign = $3 WHERE id = $4`
		args := []any{src, medium, campaign, b.Chunk.SessionID}
		for _, p := range b.Pages {
			if p.Tab == e.tab && ms(p.At) == e.at && p.URL == e.url {
				ref, host := referrer(b.Referrer)
				sql = `UPDATE sessions SET utm_source = $1, utm_medium = $2, utm_campaign = $3, referrer = $5, referrer_host = $6 WHERE id = $4`
				args = append(args, ref, host)
				break
			}
		}
		u.Queue(sql, args...)
	}
	if err := tx.SendBatch(ctx, &u).Close(); err != nil {
		return fmt.Errorf("index utm: %w", err)
	}
	return nil
}

// propHash identifies a property within its session: a value may be longer than a btree entry
// may be, so the primary key holds its hash.
func propHash(p store.Prop) []byte {
	h := sha256.New()
	h.Write([]byte(p.Key))
	h.Write([]byte{0})
	h.Write([]byte(p.Value))
	return h.Sum(nil)
}

// utm reads a page URL's campaign parameters, lowercased and bounded.
func utm(raw string) (source, medium, campaign string) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", ""
	}
	q := u.Query()
	get := func(k string) string { return clean(strings.ToLower(truncate(strings.TrimSpace(q.Get(k)), 256))) }
	return get("utm_source"), get("utm_medium"), get("utm_campaign")
}

// referrer keeps a referrer's scheme, host and path, lowercased.
func referrer(raw string) (ref, host string) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return "", ""
	}
	host = strings.ToLower(u.Hostname())
	ref = strings.ToLower(u.Scheme) + "://" + host + u.EscapedPath()
	return clean(strings.ToLower(truncate(ref, 1024))), clean(host)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// refuseErased returns which of the group's sessions were erased (a tombstone), and deletes
// the rows this group created for them. It runs after the group locked its sessions, so an
// erasure that committed its tombstones before is seen, and one that commits after finds the
// batches' rows and deletes them with the session.
func refuseErased(ctx context.Context, tx pgx.Tx, ids, created []string) (map[string]bool, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM erased_sessions WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("find tombstones: %w", err)
	}
	gone, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("find tombstones: %w", err)
	}
	if len(gone) == 0 {
		return nil, nil
	}
	erased := make(map[string]bool, len(gone))
	for _, id := range gone {
		erased[id] = true
	}
	var drop []string
	for _, id := range created {
		if erased[id] {
			drop = append(drop, id)
		}
	}
	if len(drop) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id = ANY($1)`, drop); err != nil {
			return nil, fmt.Errorf("drop erased sessions: %w", err)
		}
	}
	return erased, nil
}

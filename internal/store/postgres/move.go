package postgres

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/internal/store"
)

var _ store.Mover = (*DB)(nil)

// moveSessionCols is every column of a session's row; Export and Import use the same list.
const moveSessionCols = sessionCols + `, entry_path, exit_path, browser, browser_version, os, device, referrer, referrer_host,
	utm_source, utm_medium, utm_campaign, text_bytes, last_batch_at, lease_until, analyzed_at, ` + scrubCols

// Export reads the whole index in one REPEATABLE READ transaction, so the records are one
// snapshot even while nodes write.
func (db *DB) Export(ctx context.Context, fn func(store.Record) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("postgres: export: %w", err)
	}
	defer tx.Rollback(context.Background())
	for _, part := range []struct {
		name string
		run  func(context.Context, pgx.Tx, func(store.Record) error) error
	}{
		{"settings", exportSettings},
		{"projects", exportProjects},
		{"users", exportUsers},
		{"identities", exportIdentities},
		{"content", exportContent},
		{"sessions", exportSessions},
		{"blobs", exportBlobs},
		{"saved searches", exportSaved},
		{"playlists", exportPlaylists},
		{"funnels", exportFunnels},
		{"alerts", exportAlerts},
		{"share links", exportShares},
		{"comments", exportComments},
		{"erased sessions", exportErased},
		{"tokens", exportTokens},
		{"audit", exportAudit},
	} {
		if err := part.run(ctx, tx, fn); err != nil {
			return fmt.Errorf("postgres: export %s: %w", part.name, err)
		}
	}
	return nil
}

// each runs query and calls scan for every row.
func each(ctx context.Context, tx querier, query string, args []any, scan func(pgx.Rows) error) error {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// emit calls fn with a record made of each item, in order.
func emit[T any](items []T, fn func(store.Record) error, rec func(*T) store.Record) error {
	for i := range items {
		if err := fn(rec(&items[i])); err != nil {
			return err
		}
	}
	return nil
}

func exportSettings(ctx context.Context, tx pgx.Tx, fn func(store.Record) error) error {
	var all []store.Setting
	err := each(ctx, tx, `SELECT name, value FROM settings ORDER BY name`, nil, func(r pgx.Rows) error {
		var s store.Setting
		err := r.Scan(&s.Name, &s.Value)
		all = append(all, s)
		return err
	})
	if err != nil {
		return err
	}
	return emit(all, fn, func(s *store.Setting) store.Record { return store.Record{Setting: s} })
}

func exportProjects(ctx context.Context, tx pgx.Tx, fn func(store.Record) error) error {
	var all []store.Project
	err := each(ctx, tx, `SELECT `+projectCols+` FROM projects ORDER BY id`, nil, func(r pgx.Rows) error {
		p, err := scanProject(r)
		all = append(all, p)
		return err
	})
	if err != nil {
		return err
	}
	return emit(all, fn, func(p *store.Project) store.Record { return store.Record{Project: p} })
}

func exportUsers(ctx context.Context, tx pgx.Tx, fn func(store.Record) error) error {
	var all []store.User
	err := each(ctx, tx, `SELECT `+userCols+` FROM users ORDER BY id`, nil, func(r pgx.Rows) error {
		u, err := scanUser(r)
		all = append(all, u)
		return err
	})
	if err != nil {
		return err
	}
	if err := emit(all, fn, func(u *store.User) store.Record { return store.Record{User: u} }); err != nil {
		return err
	}
	var access []store.UserAccess
	err = each(ctx, tx, `SELECT user_id, project_id FROM user_projects ORDER BY user_id, project_id`, nil, func(r pgx.Rows) error {
		var id int64
		var p string
		if err := r.Scan(&id, &p); err != nil {
			return err
		}
		if n := len(access); n == 0 || access[n-1].UserID != id {
			access = append(access, store.UserAccess{UserID: id})
		}
		access[len(access)-1].Projects = append(access[len(access)-1].Projects, p)
		return nil
	})
	if err != nil {
		return err
	}
	return emit(access, fn, func(a *store.UserAccess) store.Record { return store.Record{Access: a} })
}

// exportContent reads items in pages of ids, each with its children.
func exportContent(ctx context.Context, tx pgx.Tx, fn func(store.Record) error) error {
	var after int64 = math.MinInt64
	for {
		var page []store.ContentItem
		err := each(ctx, tx, `SELECT c.id, c.project_id, c.hash, c.size, c.stored, c.touched_at,
				COALESCE((SELECT array_agg(e.child ORDER BY e.child) FROM content_children e WHERE e.parent = c.id), '{}')
			FROM content c WHERE c.id > $1 ORDER BY c.id LIMIT 1000`, []any{after}, func(r pgx.Rows) error {
			var c store.ContentItem
			var h []byte
			var touched int64
			if err := r.Scan(&c.ID, &c.ProjectID, &h, &c.Size, &c.Stored, &touched, &c.Children); err != nil {
				return err
			}
			if len(c.Children) == 0 {
				c.Children = nil
			}
			c.Hash, c.TouchedAt = hex.EncodeToString(h), fromMS(touched)
			page = append(page, c)
			return nil
		})
		if err != nil || len(page) == 0 {
			return err
		}
		if err := emit(page, fn, func(c *store.ContentItem) store.Record { return store.Record{Content: c} }); err != nil {
			return err
		}
		after = page[len(page)-1].ID
	}
}

// exportSessions reads sessions in pages of ids, each with all its rows.
func exportSessions(ctx context.Context, tx pgx.Tx, fn func(store.Record) error) error {
	after := ""
	for {
		var page []*store.SessionRecord
		err := each(ctx, tx, `SELECT `+moveSessionCols+` FROM sessions WHERE id > $1 ORDER BY id LIMIT 200`, []any{after}, func(r pgx.Rows) error {
			s, err := scanSessionRecord(r)
			page = append(page, s)
			return err
		})
		if err != nil || len(page) == 0 {
			return err
		}
		for _, s := range page {
			if err := exportSessionRows(ctx, tx, s); err != nil {
				return fmt.Errorf("session %s: %w", s.Session.ID, err)
			}
			if err := fn(store.Record{Session: s}); err != nil {
				return err
			}
		}
		after = page[len(page)-1].Session.ID
	}
}

func scanSessionRecord(r pgx.Rows) (*store.SessionRecord, error) {
	var s store.SessionRecord
	var started, ended, updated, compacted, last, lease, analyzed int64
	var sc store.ScrubCounts
	x := &s.Session
	err := r.Scan(&x.ID, &x.ProjectID, &started, &ended, &x.Pages, &x.EntryURL, &x.ExitURL, &x.Clicks, &x.Events, &x.Tabs,
		&x.UserAgent, &x.Viewport.Width, &x.Viewport.Height, &updated, &x.UserID, &compacted, &x.Country, &x.Errors, &x.Failed,
		&x.Score, &x.Summary, &x.Friction, &x.RageClicks, &x.DeadClicks, &x.ActiveMS,
		&s.EntryPath, &s.ExitPath, &s.Browser, &s.BrowserVersion, &s.OS, &s.Device, &s.Referrer, &s.ReferrerHost,
		&s.UTMSource, &s.UTMMedium, &s.UTMCampaign, &s.TextBytes, &last, &lease, &analyzed,
		&sc[0], &sc[1], &sc[2], &sc[3], &sc[4], &sc[5])
	if err != nil {
		return nil, err
	}
	x.Scrubbed = sc.Map()
	x.StartedAt, x.EndedAt, x.UpdatedAt, x.Compacted = fromMS(started), fromMS(ended), fromMS(updated), optTime(compacted)
	s.LastBatchAt, s.LeaseUntil, s.AnalyzedAt = optTime(last), optTime(lease), optTime(analyzed)
	return &s, nil
}

// sessionReads are the queries of one session's rows, sent as one pipeline: one round trip a
// session instead of one a table.
var sessionReads = []string{
	`SELECT tab, at, url, path FROM session_pages WHERE session_id = $1 ORDER BY at, id`,
	`SELECT tab, seq, first_at, last_at, events, raw_bytes, stored_bytes, blob_key, snapshot_at, compacted, blob_offset, blob_length, sent_at, created_at
		FROM chunks WHERE session_id = $1 ORDER BY tab, seq`,
	`SELECT tab, idx, first_at, last_at, blob_key, "offset", length, events, raw_bytes FROM segments WHERE session_id = $1 ORDER BY tab, idx`,
	`SELECT content_id FROM session_content WHERE session_id = $1 ORDER BY content_id`,
	`SELECT name FROM session_events WHERE session_id = $1 ORDER BY name`,
	`SELECT key, value FROM session_traits WHERE session_id = $1`,
	`SELECT m.message FROM session_errors e JOIN error_messages m ON m.id = e.message_id WHERE e.session_id = $1 ORDER BY m.message`,
	`SELECT key, value FROM session_event_props WHERE session_id = $1 ORDER BY key, value`,
	`SELECT ARRAY(SELECT p.text FROM text_pieces p WHERE p.id = ANY(r.pieces) ORDER BY p.text) FROM session_text_refs r WHERE r.session_id = $1 ORDER BY r.id`,
	`SELECT kind, at, path, target, fingerprint, detail FROM session_signals WHERE session_id = $1 ORDER BY id`,
	`SELECT p.path, h.device, h.first_at, h.last_at,
			COALESCE((SELECT array_agg(c.tab ORDER BY c.seq) FROM heat_clicks c WHERE c.page_id = h.page_id AND c.session_id = h.session_id), '{}'),
			COALESCE((SELECT array_agg(c.at ORDER BY c.seq) FROM heat_clicks c WHERE c.page_id = h.page_id AND c.session_id = h.session_id), '{}'),
			COALESCE((SELECT array_agg(c.selector ORDER BY c.seq) FROM heat_clicks c WHERE c.page_id = h.page_id AND c.session_id = h.session_id), '{}'),
			COALESCE((SELECT array_agg(ARRAY[c.x, c.y] ORDER BY c.seq) FROM heat_clicks c WHERE c.page_id = h.page_id AND c.session_id = h.session_id), '{}'),
			COALESCE((SELECT array_agg(ARRAY[c.w, c.h, c.page_x, c.page_y]::bigint[] ORDER BY c.seq) FROM heat_clicks c WHERE c.page_id = h.page_id AND c.session_id = h.session_id), '{}'),
			COALESCE((SELECT array_agg(v.tab ORDER BY v.seq) FROM heat_views v WHERE v.page_id = h.page_id AND v.session_id = h.session_id), '{}'),
			COALESCE((SELECT array_agg(ARRAY[v.at, v.seen_at, v.depth]::bigint[] ORDER BY v.seq) FROM heat_views v WHERE v.page_id = h.page_id AND v.session_id = h.session_id), '{}')
		FROM heat h JOIN heat_pages p ON p.id = h.page_id WHERE h.session_id = $1 ORDER BY p.path`,
	`SELECT url, hash, type, size, error, fetched_at FROM session_archive WHERE session_id = $1 ORDER BY url`,
	`SELECT user_id, first_at FROM session_users WHERE session_id = $1 ORDER BY first_at, user_id`,
	`SELECT tab, page_at, url, path, lcp, inp, cls, fcp, ttfb FROM page_vitals WHERE session_id = $1 ORDER BY tab, page_at`,
	`SELECT name, variant, first_at FROM session_flags WHERE session_id = $1 ORDER BY first_at, name, variant`,
	`SELECT at, kind, path, name, text, props FROM session_steps WHERE session_id = $1 ORDER BY seq`,
}

// exportSessionRows reads every row that belongs to the session.
func exportSessionRows(ctx context.Context, tx pgx.Tx, s *store.SessionRecord) error {
	id := s.Session.ID
	var q pgx.Batch
	for _, sql := range sessionReads {
		q.Queue(sql, id)
	}
	res := tx.SendBatch(ctx, &q)
	defer res.Close()
	read := func(what string, scan func(pgx.Rows) error) error {
		rows, err := res.Query()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	steps := []struct {
		what string
		scan func(pgx.Rows) error
	}{
		{"pages", func(r pgx.Rows) error {
			var p store.PageRecord
			var at int64
			err := r.Scan(&p.Tab, &at, &p.URL, &p.Path)
			p.At = fromMS(at)
			s.Pages = append(s.Pages, p)
			return err
		}},
		{"chunks", func(r pgx.Rows) error {
			c := store.ChunkRecord{Chunk: store.Chunk{SessionID: id}}
			var first, last, snap, sent, created int64
			err := r.Scan(&c.Tab, &c.Seq, &first, &last, &c.Events, &c.RawBytes, &c.StoredBytes, &c.BlobKey, &snap, &c.Compacted, &c.BlobOffset, &c.BlobLength, &sent, &created)
			c.FirstAt, c.LastAt, c.SnapshotAt, c.SentAt, c.CreatedAt = fromMS(first), fromMS(last), optTime(snap), fromMS(sent), fromMS(created)
			s.Chunks = append(s.Chunks, c)
			return err
		}},
		{"segments", func(r pgx.Rows) error {
			g := store.Segment{SessionID: id}
			var first, last int64
			err := r.Scan(&g.Tab, &g.Index, &first, &last, &g.BlobKey, &g.Offset, &g.Length, &g.Events, &g.RawBytes)
			g.FirstAt, g.LastAt = fromMS(first), fromMS(last)
			s.Segments = append(s.Segments, g)
			return err
		}},
		{"content", func(r pgx.Rows) error {
			var c int64
			err := r.Scan(&c)
			s.Content = append(s.Content, c)
			return err
		}},
		{"events", func(r pgx.Rows) error {
			var n string
			err := r.Scan(&n)
			s.Events = append(s.Events, n)
			return err
		}},
		{"traits", func(r pgx.Rows) error {
			var k, v string
			if err := r.Scan(&k, &v); err != nil {
				return err
			}
			if s.Traits == nil {
				s.Traits = map[string]string{}
			}
			s.Traits[k] = v
			return nil
		}},
		{"errors", func(r pgx.Rows) error {
			var m string
			err := r.Scan(&m)
			s.Errors = append(s.Errors, m)
			return err
		}},
		{"event properties", func(r pgx.Rows) error {
			var p store.Prop
			err := r.Scan(&p.Key, &p.Value)
			s.Props = append(s.Props, p)
			return err
		}},
		{"text", func(r pgx.Rows) error {
			var texts []string
			err := r.Scan(&texts)
			s.Text = append(s.Text, texts)
			return err
		}},
		{"signals", func(r pgx.Rows) error {
			var g store.StoredSignal
			var at int64
			err := r.Scan(&g.Kind, &at, &g.Path, &g.Target, &g.Fingerprint, &g.Detail)
			g.At = fromMS(at)
			s.Signals = append(s.Signals, g)
			return err
		}},
		{"heat", func(r pgx.Rows) error {
			var h store.HeatRow
			var first, last int64
			var ctabs, sels, vtabs []string
			var cat []int64
			var xy [][]float64
			var box, views [][]int64
			if err := r.Scan(&h.Path, &h.Device, &first, &last, &ctabs, &cat, &sels, &xy, &box, &vtabs, &views); err != nil {
				return err
			}
			h.FirstAt, h.LastAt = fromMS(first), fromMS(last)
			for i := range ctabs {
				h.Clicks = append(h.Clicks, store.HeatClick{Tab: ctabs[i], At: fromMS(cat[i]), Selector: sels[i], X: xy[i][0], Y: xy[i][1],
					W: int(box[i][0]), H: int(box[i][1]), PageX: int(box[i][2]), PageY: int(box[i][3])})
			}
			for i := range vtabs {
				h.Views = append(h.Views, store.PageDepth{Tab: vtabs[i], At: fromMS(views[i][0]), Seen: fromMS(views[i][1]), Depth: float64(views[i][2]) / 100})
			}
			s.Heat = append(s.Heat, h)
			return nil
		}},
		{"archive", func(r pgx.Rows) error {
			var a store.Archived
			var h []byte
			var at int64
			if err := r.Scan(&a.URL, &h, &a.Type, &a.Size, &a.Error, &at); err != nil {
				return err
			}
			if h != nil {
				a.Hash = hex.EncodeToString(h)
			}
			a.FetchedAt = fromMS(at)
			s.Archive = append(s.Archive, a)
			return nil
		}},
		{"user ids", func(r pgx.Rows) error {
			var u store.SessionUser
			var at int64
			err := r.Scan(&u.UserID, &at)
			u.FirstAt = fromMS(at)
			s.Session.UserIDs = append(s.Session.UserIDs, u)
			return err
		}},
		{"vitals", func(r pgx.Rows) error {
			p, err := scanPageVitals(r, id)
			s.Vitals = append(s.Vitals, p)
			return err
		}},
		{"flags", func(r pgx.Rows) error {
			var f store.SessionFlag
			var at int64
			err := r.Scan(&f.Name, &f.Variant, &at)
			f.FirstAt = fromMS(at)
			s.Flags = append(s.Flags, f)
			return err
		}},
		{"funnel steps", func(r pgx.Rows) error {
			var st store.Step
			var at int64
			var props string
			err := r.Scan(&at, &st.Kind, &st.Path, &st.Name, &st.Text, &props)
			st.At = fromMS(at)
			if props != "{}" {
				_ = json.Unmarshal([]byte(props), &st.Props)
			}
			s.Steps = append(s.Steps, st)
			return err
		}},
	}
	for _, st := range steps {
		if err := read(st.what, st.scan); err != nil {
			return err
		}
	}
	return res.Close()
}

func exportBlobs(ctx context.Context, tx pgx.Tx, fn func(store.Record) error) error {
	query := `SELECT key, refs FROM blobs WHERE key > $1 ORDER BY key LIMIT 1000`
	after := ""
	for {
		var page []store.BlobRefs
		err := each(ctx, tx, query, []any{after}, func(r pgx.Rows) error {
			var b store.BlobRefs
			err := r.Scan(&b.Key, &b.Refs)
			page = append(page, b)
			return err
		})
		if err != nil || len(page) == 0 {
			return err
		}
		if err := emit(page, fn, func(b *store.BlobRefs) store.Record { return store.Record{Blob: b} }); err != nil {
			return err
		}
		after = page[len(page)-1].Key
	}
}

func exportSaved(ctx context.Context, tx pgx.Tx, fn func(store.Record) error) error {
	var all []store.SavedRecord
	err := each(ctx, tx, `SELECT s.id, s.project_id, s.name, s.query, s.owner_id, s.shared, s.created_at, s.updated_at,
			COALESCE((SELECT array_agg(v.user_id ORDER BY v.user_id) FROM saved_search_visits v WHERE v.search_id = s.id), '{}'),
			COALESCE((SELECT array_agg(v.visited_at ORDER BY v.user_id) FROM saved_search_visits v WHERE v.search_id = s.id), '{}')
		FROM saved_searches s ORDER BY s.id`, nil, func(r pgx.Rows) error {
		var s store.SavedRecord
		var created, updated int64
		var users, ats []int64
		x := &s.Search
		if err := r.Scan(&x.ID, &x.ProjectID, &x.Name, &x.Query, &x.OwnerID, &x.Shared, &created, &updated, &users, &ats); err != nil {
			return err
		}
		x.CreatedAt, x.UpdatedAt = fromMS(created), fromMS(updated)
		for i := range users {
			s.Visits = append(s.Visits, store.SavedVisit{UserID: users[i], At: fromMS(ats[i])})
		}
		all = append(all, s)
		return nil
	})
	if err != nil {
		return err
	}
	return emit(all, fn, func(s *store.SavedRecord) store.Record { return store.Record{Saved: s} })
}

func exportFunnels(ctx context.Context, tx pgx.Tx, fn func(store.Record) error) error {
	var all []store.Funnel
	err := each(ctx, tx, `SELECT `+funnelCols+` FROM funnels ORDER BY id`, nil, func(r pgx.Rows) error {
		f, err := scanFunnel(r)
		all = append(all, f)
		return err
	})
	if err != nil {
		return err
	}
	for i := range all {
		if err := fn(store.Record{Funnel: &all[i]}); err != nil {
			return err
		}
	}
	return nil
}

func exportPlaylists(ctx context.Context, tx pgx.Tx, fn func(store.Record) error) error {
	var all []store.PlaylistRecord
	err := each(ctx, tx, `SELECT id, project_id, name, owner_id, shared, created_at, updated_at FROM playlists ORDER BY id`, nil, func(r pgx.Rows) error {
		var p store.PlaylistRecord
		var created, updated int64
		x := &p.Playlist
		err := r.Scan(&x.ID, &x.ProjectID, &x.Name, &x.OwnerID, &x.Shared, &created, &updated)
		x.CreatedAt, x.UpdatedAt = fromMS(created), fromMS(updated)
		all = append(all, p)
		return err
	})
	if err != nil {
		return err
	}
	for i := range all {
		p := &all[i]
		err := each(ctx, tx, `SELECT session_id, position, note, added_at, added_by FROM playlist_sessions WHERE playlist_id = $1 ORDER BY position, session_id`, []any{p.Playlist.ID}, func(r pgx.Rows) error {
			var pin store.PinRecord
			var at int64
			err := r.Scan(&pin.SessionID, &pin.Position, &pin.Note, &at, &pin.AddedBy)
			pin.AddedAt = fromMS(at)
			p.Pins = append(p.Pins, pin)
			return err
		})
		if err != nil {
			return err
		}
		if err := fn(store.Record{Playlist: p}); err != nil {
			return err
		}
	}
	return nil
}

func exportAlerts(ctx context.Context, tx pgx.Tx, fn func(store.Record) error) error {
	var all []store.AlertRule
	err := each(ctx, tx, `SELECT id, project_id, name, kind, fingerprint, threshold, window_ms, webhook, created_at, fired_at, COALESCE(saved_search_id, 0), format, secret
		FROM alert_rules ORDER BY id`, nil, func(r pgx.Rows) error {
		var a store.AlertRule
		var window, created, fired int64
		err := r.Scan(&a.ID, &a.ProjectID, &a.Name, &a.Kind, &a.Fingerprint, &a.Threshold, &window, &a.Webhook, &created, &fired, &a.SavedSearchID, &a.Format, &a.Secret)
		a.Window, a.CreatedAt, a.FiredAt = time.Duration(window)*time.Millisecond, fromMS(created), optTime(fired)
		all = append(all, a)
		return err
	})
	if err != nil {
		return err
	}
	return emit(all, fn, func(a *store.AlertRule) store.Record { return store.Record{Alert: a} })
}

// serialTables are the tables whose ids Import writes as given; their sequences are moved past
// the highest id afterwards, so rows created later never collide with copied ones.
var serialTables = []string{"users", "content", "saved_searches", "playlists", "funnels", "alert_rules", "audit_log"}

// Import writes records in one transaction, each skipped when its unit is already there. It
// holds the shared-rows lock shared, as every writer that references error messages, heat
// pages or text pieces does (lifecycle.go), so a concurrent deletion cannot drop a shared row
// the import is about to reference.
func (db *DB) Import(ctx context.Context, recs []store.Record) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: import: %w", err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock_shared($1)`, sharedRowsLock); err != nil {
		return fmt.Errorf("postgres: import: %w", err)
	}
	for _, r := range recs {
		// PostgreSQL's text refuses NUL and invalid UTF-8, which SQLite kept: every string is
		// stored cleaned, as ingest on this backend stores it (docs/decisions.md).
		cleanStrings(reflect.ValueOf(&r).Elem())
		if err := importRecord(ctx, tx, r); err != nil {
			return fmt.Errorf("postgres: import: %w", err)
		}
	}
	for _, t := range serialTables {
		// The table names are the constants above, never input.
		if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), GREATEST(COALESCE((SELECT MAX(id) FROM `+t+`), 0) + 1,
			nextval(pg_get_serial_sequence('`+t+`', 'id'))), false)`); err != nil {
			return fmt.Errorf("postgres: import: sequence of %s: %w", t, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: import: commit: %w", err)
	}
	return nil
}

// cleanStrings replaces, in place, every string reachable from v by its cleaned form. Records
// hold pointers to their one unit, so the caller's copy is changed too, which is what the
// caller imported.
func cleanStrings(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); clean(s) != s && v.CanSet() {
			v.SetString(clean(s))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			cleanStrings(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				cleanStrings(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // json.RawMessage: JSON text, checked when stored
		}
		for i := range v.Len() {
			cleanStrings(v.Index(i))
		}
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String || v.Type().Elem().Kind() != reflect.String {
			return
		}
		dirty := false
		for _, k := range v.MapKeys() {
			if clean(k.String()) != k.String() || clean(v.MapIndex(k).String()) != v.MapIndex(k).String() {
				dirty = true
			}
		}
		if !dirty {
			return
		}
		m := reflect.MakeMap(v.Type())
		for _, k := range v.MapKeys() {
			m.SetMapIndex(reflect.ValueOf(clean(k.String())).Convert(v.Type().Key()), reflect.ValueOf(clean(v.MapIndex(k).String())).Convert(v.Type().Elem()))
		}
		if v.CanSet() {
			v.Set(m)
		}
	}
}

// notFound turns a foreign key violation (a record naming one not imported) into ErrNotFound.
func notFound(err error, what string) error {
	if isForeignKeyViolation(err) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func importRecord(ctx context.Context, tx pgx.Tx, r store.Record) error {
	switch {
	case r.Setting != nil:
		if _, err := tx.Exec(ctx, `INSERT INTO settings(name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, r.Setting.Name, r.Setting.Value); err != nil {
			return fmt.Errorf("setting %s: %w", r.Setting.Name, err)
		}
	case r.Project != nil:
		p := r.Project
		origins, err := json.Marshal(nonNil(p.AllowedOrigins))
		if err != nil {
			return fmt.Errorf("project %s: %w", p.ID, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO projects(id, name, public_key, allowed_origins, created_at, retention_days, sdk_config, friction, previous_key, previous_key_until, scrub)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING`,
			p.ID, p.Name, p.PublicKey, string(origins), ms(p.CreatedAt), p.RetentionDays, jsonObject(p.SDKConfig), jsonObject(p.Friction), p.PreviousKey, optMS(p.PreviousKeyUntil), jsonObject(p.Scrub)); err != nil {
			return fmt.Errorf("project %s: %w", p.ID, err)
		}
	case r.User != nil:
		u := r.User
		if _, err := tx.Exec(ctx, `INSERT INTO users(id, email, password_hash, role, created_at, disabled_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
			u.ID, u.Email, u.PasswordHash, u.Role, ms(u.CreatedAt), optMS(u.DisabledAt)); err != nil {
			return fmt.Errorf("user %d: %w", u.ID, err)
		}
	case r.Access != nil:
		if _, err := tx.Exec(ctx, `INSERT INTO user_projects(user_id, project_id) SELECT $1, p FROM unnest($2::text[]) p ON CONFLICT DO NOTHING`,
			r.Access.UserID, r.Access.Projects); err != nil {
			return fmt.Errorf("access of user %d: %w", r.Access.UserID, err)
		}
	case r.Identity != nil:
		return importIdentity(ctx, tx, r.Identity)
	case r.Content != nil:
		c := r.Content
		h, err := hashBytes(c.Hash)
		if err != nil {
			return fmt.Errorf("content %d: %w", c.ID, err)
		}
		tag, err := tx.Exec(ctx, `INSERT INTO content(id, project_id, hash, size, stored, touched_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
			c.ID, c.ProjectID, h, c.Size, c.Stored, ms(c.TouchedAt))
		if err != nil {
			return fmt.Errorf("content %d: %w", c.ID, err)
		}
		if tag.RowsAffected() > 0 && len(c.Children) > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO content_children(parent, child) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING`, c.ID, c.Children); err != nil {
				return fmt.Errorf("content %d: %w", c.ID, err)
			}
		}
	case r.Session != nil:
		if err := importSession(ctx, tx, r.Session); err != nil {
			return fmt.Errorf("session %s: %w", r.Session.Session.ID, err)
		}
	case r.Blob != nil:
		if _, err := tx.Exec(ctx, `INSERT INTO blobs(key, refs) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, r.Blob.Key, r.Blob.Refs); err != nil {
			return fmt.Errorf("blob %s: %w", r.Blob.Key, err)
		}
	case r.Saved != nil:
		s := r.Saved.Search
		tag, err := tx.Exec(ctx, `INSERT INTO saved_searches(id, project_id, name, query, owner_id, shared, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
			s.ID, s.ProjectID, s.Name, s.Query, s.OwnerID, s.Shared, ms(s.CreatedAt), ms(s.UpdatedAt))
		if err != nil {
			return notFound(err, fmt.Sprintf("saved search %d", s.ID))
		}
		if tag.RowsAffected() > 0 {
			for _, v := range r.Saved.Visits {
				if _, err := tx.Exec(ctx, `INSERT INTO saved_search_visits(search_id, user_id, visited_at) VALUES ($1, $2, $3)`, s.ID, v.UserID, ms(v.At)); err != nil {
					return fmt.Errorf("saved search %d: visit: %w", s.ID, err)
				}
			}
		}
	case r.Funnel != nil:
		f := r.Funnel
		if _, err := tx.Exec(ctx, `INSERT INTO funnels(id, project_id, name, definition, owner_id, shared, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
			f.ID, f.ProjectID, f.Name, f.Definition, f.OwnerID, f.Shared, ms(f.CreatedAt), ms(f.UpdatedAt)); err != nil {
			return notFound(err, fmt.Sprintf("funnel %d", f.ID))
		}
	case r.Playlist != nil:
		p := r.Playlist.Playlist
		tag, err := tx.Exec(ctx, `INSERT INTO playlists(id, project_id, name, owner_id, shared, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
			p.ID, p.ProjectID, p.Name, p.OwnerID, p.Shared, ms(p.CreatedAt), ms(p.UpdatedAt))
		if err != nil {
			return notFound(err, fmt.Sprintf("playlist %d", p.ID))
		}
		if tag.RowsAffected() > 0 {
			for _, pin := range r.Playlist.Pins {
				if _, err := tx.Exec(ctx, `INSERT INTO playlist_sessions(playlist_id, session_id, position, note, added_at, added_by) VALUES ($1, $2, $3, $4, $5, $6)`,
					p.ID, pin.SessionID, pin.Position, pin.Note, ms(pin.AddedAt), pin.AddedBy); err != nil {
					return notFound(err, fmt.Sprintf("playlist %d: pin %s", p.ID, pin.SessionID))
				}
			}
		}
	case r.Alert != nil:
		a := r.Alert
		var saved any
		if a.SavedSearchID != 0 {
			saved = a.SavedSearchID
		}
		if _, err := tx.Exec(ctx, `INSERT INTO alert_rules(id, project_id, name, kind, fingerprint, threshold, window_ms, webhook, created_at, fired_at, saved_search_id, format, secret)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (id) DO NOTHING`,
			a.ID, a.ProjectID, a.Name, a.Kind, a.Fingerprint, a.Threshold, a.Window.Milliseconds(), a.Webhook, ms(a.CreatedAt), optMS(a.FiredAt), saved, a.Format, a.Secret); err != nil {
			return notFound(err, fmt.Sprintf("alert %d", a.ID))
		}
	case r.Token != nil:
		return importToken(ctx, tx, r.Token)
	case r.Audit != nil:
		return importAudit(ctx, tx, r.Audit)
	case r.Share != nil:
		l := r.Share
		if _, err := tx.Exec(ctx, `INSERT INTO share_links(`+shareCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
			l.ID, l.TokenHash, l.SessionID, l.ProjectID, l.CreatedBy, ms(l.CreatedAt), ms(l.ExpiresAt), optMS(l.RevokedAt), l.AtMS, l.Note); err != nil {
			return notFound(err, "share link "+l.ID)
		}
	case r.Comment != nil:
		c := r.Comment
		if _, err := tx.Exec(ctx, `INSERT INTO comments(`+commentCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
			c.ID, c.SessionID, c.ProjectID, c.AuthorID, c.Author, c.AtMS, c.Body, ms(c.CreatedAt), optMS(c.EditedAt)); err != nil {
			return notFound(err, "comment "+c.ID)
		}
	case r.Erased != nil:
		e := r.Erased
		if _, err := tx.Exec(ctx, `INSERT INTO erased_sessions(id, project_id, erased_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`, e.ID, e.ProjectID, ms(e.At)); err != nil {
			return fmt.Errorf("erased session %s: %w", e.ID, err)
		}
	default:
		return errors.New("empty record")
	}
	return nil
}

// importSession writes a session and all its rows, unless the session is there already.
func importSession(ctx context.Context, tx pgx.Tx, s *store.SessionRecord) error {
	x := s.Session
	id := x.ID
	sc, scTotal := store.ScrubCountsOf(x.Scrubbed)
	tag, err := tx.Exec(ctx, `INSERT INTO sessions(`+moveSessionCols+`, scrubbed)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25,
			$26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38, $39, $40, $41, $42, $43, $44, $45, $46, $47)
		ON CONFLICT (id) DO NOTHING`,
		id, x.ProjectID, ms(x.StartedAt), ms(x.EndedAt), x.Pages, x.EntryURL, x.ExitURL, x.Clicks, x.Events, x.Tabs,
		x.UserAgent, x.Viewport.Width, x.Viewport.Height, ms(x.UpdatedAt), x.UserID, optMS(x.Compacted), x.Country, x.Errors, x.Failed,
		x.Score, x.Summary, x.Friction, x.RageClicks, x.DeadClicks, x.ActiveMS,
		s.EntryPath, s.ExitPath, s.Browser, s.BrowserVersion, s.OS, s.Device, s.Referrer, s.ReferrerHost,
		s.UTMSource, s.UTMMedium, s.UTMCampaign, s.TextBytes, optMS(s.LastBatchAt), optMS(s.LeaseUntil), optMS(s.AnalyzedAt),
		sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], scTotal)
	if err != nil {
		return notFound(err, "row")
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	// Shared rows first (error messages, text pieces, heat pages), then the session's own rows
	// in one pipeline.
	var messages map[string]int64
	if len(s.Errors) > 0 {
		if messages, err = storeMessages(ctx, tx, []store.Batch{{ErrorMessages: s.Errors}}); err != nil {
			return err
		}
	}
	pieces := map[string]int64{}
	var all []string
	for _, texts := range s.Text {
		for _, t := range texts {
			if _, ok := pieces[t]; !ok {
				pieces[t] = 0
				all = append(all, t)
			}
		}
	}
	if len(all) > 0 {
		if err := storePieces(ctx, tx, all); err != nil {
			return fmt.Errorf("text: %w", err)
		}
		if pieces, err = findPieces(ctx, tx, toSet(all)); err != nil {
			return fmt.Errorf("text: %w", err)
		}
	}
	pageIDs := make([]int64, len(s.Heat))
	for i, h := range s.Heat {
		if err := tx.QueryRow(ctx, `INSERT INTO heat_pages(project_id, path) VALUES ($1, $2)
			ON CONFLICT (project_id, md5(path)) DO UPDATE SET path = excluded.path RETURNING id`, x.ProjectID, h.Path).Scan(&pageIDs[i]); err != nil {
			return fmt.Errorf("heat page: %w", err)
		}
	}

	var q pgx.Batch
	for _, p := range s.Pages {
		q.Queue(`INSERT INTO session_pages(session_id, tab, at, url, path) VALUES ($1, $2, $3, $4, $5)`, id, p.Tab, ms(p.At), p.URL, p.Path)
	}
	for _, c := range s.Chunks {
		q.Queue(`INSERT INTO chunks(session_id, tab, seq, first_at, last_at, events, raw_bytes, stored_bytes, blob_key, sent_at, created_at, snapshot_at, compacted, blob_offset, blob_length)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			id, c.Tab, c.Seq, ms(c.FirstAt), ms(c.LastAt), c.Events, c.RawBytes, c.StoredBytes, c.BlobKey, ms(c.SentAt), ms(c.CreatedAt),
			optMS(c.SnapshotAt), c.Compacted, c.BlobOffset, c.BlobLength)
	}
	for _, g := range s.Segments {
		q.Queue(`INSERT INTO segments(session_id, tab, idx, first_at, last_at, blob_key, "offset", length, events, raw_bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			id, g.Tab, g.Index, ms(g.FirstAt), ms(g.LastAt), g.BlobKey, g.Offset, g.Length, g.Events, g.RawBytes)
	}
	if len(s.Content) > 0 {
		q.Queue(`INSERT INTO session_content(session_id, content_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING`, id, s.Content)
	}
	for _, n := range s.Events {
		q.Queue(`INSERT INTO session_events(session_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING`, id, n)
	}
	for k, v := range s.Traits {
		q.Queue(`INSERT INTO session_traits(session_id, key, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, id, k, v)
	}
	for _, u := range s.Session.UserIDsOrCurrent() {
		q.Queue(`INSERT INTO session_users(session_id, user_id, first_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, id, u.UserID, ms(u.FirstAt))
	}
	for _, f := range s.Flags {
		q.Queue(`INSERT INTO session_flags(session_id, name, variant, first_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, id, f.Name, f.Variant, ms(f.FirstAt))
	}
	for i, st := range s.Steps {
		q.Queue(`INSERT INTO session_steps(session_id, seq, at, kind, path, name, text, props) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
			id, i, ms(st.At), st.Kind, st.Path, st.Name, st.Text, propsJSON(st.Props))
	}
	for _, m := range s.Errors {
		q.Queue(`INSERT INTO session_errors(session_id, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, id, messages[m])
	}
	for _, p := range s.Props {
		q.Queue(`INSERT INTO session_event_props(session_id, key, value, hash) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, id, p.Key, p.Value, propHash(p))
	}
	for _, texts := range s.Text {
		ids := make([]int64, 0, len(texts))
		for _, t := range texts {
			pid, ok := pieces[t]
			if !ok {
				return fmt.Errorf("text: piece not stored")
			}
			ids = append(ids, pid)
		}
		slices.Sort(ids)
		q.Queue(`INSERT INTO session_text_refs(session_id, pieces) VALUES ($1, $2)`, id, slices.Compact(ids))
	}
	for _, g := range s.Signals {
		q.Queue(`INSERT INTO session_signals(session_id, project_id, kind, at, path, target, fingerprint, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			id, x.ProjectID, g.Kind, ms(g.At), g.Path, g.Target, g.Fingerprint, g.Detail)
	}
	for i, h := range s.Heat {
		q.Queue(`INSERT INTO heat(page_id, session_id, device, first_at, last_at) VALUES ($1, $2, $3, $4, $5)`, pageIDs[i], id, h.Device, ms(h.FirstAt), ms(h.LastAt))
		for n, c := range h.Clicks {
			q.Queue(`INSERT INTO heat_clicks(page_id, session_id, seq, tab, at, selector, x, y, w, h, page_x, page_y) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
				pageIDs[i], id, n+1, c.Tab, ms(c.At), c.Selector, c.X, c.Y, c.W, c.H, c.PageX, c.PageY)
		}
		for n, v := range h.Views {
			q.Queue(`INSERT INTO heat_views(page_id, session_id, seq, tab, at, seen_at, depth) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				pageIDs[i], id, n+1, v.Tab, ms(v.At), ms(v.Seen), int64(math.Round(v.Depth*100)))
		}
	}
	for _, a := range s.Archive {
		var h []byte
		if a.Hash != "" {
			if h, err = hashBytes(a.Hash); err != nil {
				return fmt.Errorf("archive: %w", err)
			}
		}
		q.Queue(`INSERT INTO session_archive(session_id, project_id, url, hash, type, size, error, fetched_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			id, x.ProjectID, a.URL, h, a.Type, a.Size, a.Error, ms(a.FetchedAt))
	}
	for _, v := range s.Vitals {
		args := []any{id, x.ProjectID, v.Tab, ms(v.PageAt), v.URL, v.Path}
		for _, m := range store.VitalMetrics {
			if val, ok := v.Values[m]; ok {
				args = append(args, val)
			} else {
				args = append(args, nil)
			}
		}
		q.Queue(`INSERT INTO page_vitals(session_id, project_id, tab, page_at, url, path, lcp, inp, cls, fcp, ttfb) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, args...)
	}
	if err := tx.SendBatch(ctx, &q).Close(); err != nil {
		return fmt.Errorf("rows: %w", err)
	}
	return nil
}

func exportShares(ctx context.Context, tx pgx.Tx, fn func(store.Record) error) error {
	var all []store.ShareLink
	err := each(ctx, tx, `SELECT `+shareCols+` FROM share_links ORDER BY id`, nil, func(r pgx.Rows) error {
		l, err := scanShare(r)
		all = append(all, l)
		return err
	})
	if err != nil {
		return err
	}
	return emit(all, fn, func(l *store.ShareLink) store.Record { return store.Record{Share: l} })
}

func exportErased(ctx context.Context, tx pgx.Tx, fn func(store.Record) error) error {
	var all []store.ErasedSession
	err := each(ctx, tx, `SELECT id, project_id, erased_at FROM erased_sessions ORDER BY id`, nil, func(r pgx.Rows) error {
		var e store.ErasedSession
		var at int64
		err := r.Scan(&e.ID, &e.ProjectID, &at)
		e.At = fromMS(at)
		all = append(all, e)
		return err
	})
	if err != nil {
		return err
	}
	return emit(all, fn, func(e *store.ErasedSession) store.Record { return store.Record{Erased: e} })
}

// SessionRecord reads one session with every row that belongs to it, as Export does, in one
// REPEATABLE READ transaction (a subject access export, docs/api.md).
func (db *DB) SessionRecord(ctx context.Context, id string) (store.SessionRecord, error) {
	id = clean(id)
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return store.SessionRecord{}, fmt.Errorf("postgres: session record %s: %w", id, err)
	}
	defer tx.Rollback(context.Background())
	var rec *store.SessionRecord
	err = each(ctx, tx, `SELECT `+moveSessionCols+` FROM sessions WHERE id = $1`, []any{id}, func(r pgx.Rows) error {
		s, err := scanSessionRecord(r)
		rec = s
		return err
	})
	if err != nil {
		return store.SessionRecord{}, fmt.Errorf("postgres: session record %s: %w", id, err)
	}
	if rec == nil {
		return store.SessionRecord{}, fmt.Errorf("postgres: session record %s: %w", id, store.ErrNotFound)
	}
	if err := exportSessionRows(ctx, tx, rec); err != nil {
		return store.SessionRecord{}, fmt.Errorf("postgres: session record %s: %w", id, err)
	}
	return *rec, nil
}

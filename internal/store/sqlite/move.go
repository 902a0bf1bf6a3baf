package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/reelhq/reel/internal/store"
)

var _ store.Mover = (*DB)(nil)

// moveSessionCols is every column of a session's row: sessionCols, then those only the index
// itself reads (search, compaction, analysis). Export and Import use the same list.
const moveSessionCols = sessionCols + `, entry_path, exit_path, browser, browser_version, os, device, referrer, referrer_host,
	utm_source, utm_medium, utm_campaign, text_bytes, last_batch_at, lease_until, analyzed_at, ` + scrubCols

// Export reads the whole index in one read transaction, so the records are one consistent
// snapshot even while a server writes.
func (db *DB) Export(ctx context.Context, fn func(store.Record) error) error {
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: export: %w", err)
	}
	defer tx.Rollback()
	for _, part := range []struct {
		name string
		run  func(context.Context, *sql.Tx, func(store.Record) error) error
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
			return fmt.Errorf("sqlite: export %s: %w", part.name, err)
		}
	}
	return nil
}

// each runs query and calls scan for every row.
func each(ctx context.Context, tx querier, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query, args...)
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

func exportSettings(ctx context.Context, tx *sql.Tx, fn func(store.Record) error) error {
	var all []store.Setting
	err := each(ctx, tx, `SELECT name, value FROM settings ORDER BY name`, nil, func(r *sql.Rows) error {
		var s store.Setting
		if err := r.Scan(&s.Name, &s.Value); err != nil {
			return err
		}
		all = append(all, s)
		return nil
	})
	if err != nil {
		return err
	}
	for i := range all {
		if err := fn(store.Record{Setting: &all[i]}); err != nil {
			return err
		}
	}
	return nil
}

func exportProjects(ctx context.Context, tx *sql.Tx, fn func(store.Record) error) error {
	var all []store.Project
	err := each(ctx, tx, `SELECT `+projectCols+` FROM projects ORDER BY id`, nil, func(r *sql.Rows) error {
		p, err := scanProject(r)
		all = append(all, p)
		return err
	})
	if err != nil {
		return err
	}
	for i := range all {
		if err := fn(store.Record{Project: &all[i]}); err != nil {
			return err
		}
	}
	return nil
}

func exportUsers(ctx context.Context, tx *sql.Tx, fn func(store.Record) error) error {
	var all []store.User
	err := each(ctx, tx, `SELECT `+userCols+` FROM users ORDER BY id`, nil, func(r *sql.Rows) error {
		u, err := scanUser(r)
		all = append(all, u)
		return err
	})
	if err != nil {
		return err
	}
	for i := range all {
		if err := fn(store.Record{User: &all[i]}); err != nil {
			return err
		}
	}
	var access []store.UserAccess
	err = each(ctx, tx, `SELECT user_id, project_id FROM user_projects ORDER BY user_id, project_id`, nil, func(r *sql.Rows) error {
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
	for i := range access {
		if err := fn(store.Record{Access: &access[i]}); err != nil {
			return err
		}
	}
	return nil
}

// exportContent reads items in pages of ids, each with its children.
func exportContent(ctx context.Context, tx *sql.Tx, fn func(store.Record) error) error {
	var after int64 = math.MinInt64
	for {
		var page []*store.ContentItem
		err := each(ctx, tx, `SELECT id, project_id, hash, size, stored, touched_at FROM content WHERE id > ? ORDER BY id LIMIT 1000`, []any{after}, func(r *sql.Rows) error {
			var c store.ContentItem
			var h []byte
			var touched int64
			if err := r.Scan(&c.ID, &c.ProjectID, &h, &c.Size, &c.Stored, &touched); err != nil {
				return err
			}
			c.Hash, c.TouchedAt = hex.EncodeToString(h), fromMS(touched)
			page = append(page, &c)
			return nil
		})
		if err != nil || len(page) == 0 {
			return err
		}
		for _, c := range page {
			err := each(ctx, tx, `SELECT child FROM content_children WHERE parent = ? ORDER BY child`, []any{c.ID}, func(r *sql.Rows) error {
				var ch int64
				err := r.Scan(&ch)
				c.Children = append(c.Children, ch)
				return err
			})
			if err != nil {
				return err
			}
			if err := fn(store.Record{Content: c}); err != nil {
				return err
			}
		}
		after = page[len(page)-1].ID
	}
}

// exportSessions reads sessions in pages of ids, each with all its rows.
func exportSessions(ctx context.Context, tx *sql.Tx, fn func(store.Record) error) error {
	after := ""
	for {
		var page []*store.SessionRecord
		err := each(ctx, tx, `SELECT `+moveSessionCols+` FROM sessions WHERE id > ? ORDER BY id LIMIT 200`, []any{after}, func(r *sql.Rows) error {
			s, err := scanSessionRecord(r)
			if err != nil {
				return err
			}
			page = append(page, s)
			return nil
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

// scanSessionRecord reads moveSessionCols.
func scanSessionRecord(r *sql.Rows) (*store.SessionRecord, error) {
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

// exportSessionRows reads every row that belongs to the session, unpacking what this backend
// packs (segments, content references, text references, heat).
func exportSessionRows(ctx context.Context, tx *sql.Tx, s *store.SessionRecord) error {
	id := s.Session.ID
	arg := []any{id}
	err := each(ctx, tx, `SELECT tab, at, url, path FROM session_pages WHERE session_id = ? ORDER BY at, rowid`, arg, func(r *sql.Rows) error {
		var p store.PageRecord
		var at int64
		err := r.Scan(&p.Tab, &at, &p.URL, &p.Path)
		p.At = fromMS(at)
		s.Pages = append(s.Pages, p)
		return err
	})
	if err != nil {
		return fmt.Errorf("pages: %w", err)
	}
	err = each(ctx, tx, `SELECT tab, seq, first_at, last_at, events, raw_bytes, stored_bytes, blob_key, snapshot_at, compacted, blob_offset, blob_length, sent_at, created_at
		FROM chunks WHERE session_id = ? ORDER BY tab, seq`, arg, func(r *sql.Rows) error {
		c := store.ChunkRecord{Chunk: store.Chunk{SessionID: id}}
		var first, last, snap, sent, created int64
		err := r.Scan(&c.Tab, &c.Seq, &first, &last, &c.Events, &c.RawBytes, &c.StoredBytes, &c.BlobKey, &snap, &c.Compacted, &c.BlobOffset, &c.BlobLength, &sent, &created)
		c.FirstAt, c.LastAt, c.SnapshotAt, c.SentAt, c.CreatedAt = fromMS(first), fromMS(last), optTime(snap), fromMS(sent), fromMS(created)
		s.Chunks = append(s.Chunks, c)
		return err
	})
	if err != nil {
		return fmt.Errorf("chunks: %w", err)
	}
	err = each(ctx, tx, `SELECT blob_key, data FROM segments WHERE session_id = ? ORDER BY blob_key`, arg, func(r *sql.Rows) error {
		var key string
		var data []byte
		if err := r.Scan(&key, &data); err != nil {
			return err
		}
		segs, err := unpackSegments(id, key, data)
		s.Segments = append(s.Segments, segs...)
		return err
	})
	if err != nil {
		return fmt.Errorf("segments: %w", err)
	}
	sortSegments(s.Segments)
	err = each(ctx, tx, `SELECT ids FROM session_content WHERE session_id = ?`, arg, func(r *sql.Rows) error {
		var b []byte
		if err := r.Scan(&b); err != nil {
			return err
		}
		ids, err := unpackIDs(b)
		s.Content = append(s.Content, ids...)
		return err
	})
	if err != nil {
		return fmt.Errorf("content: %w", err)
	}
	err = each(ctx, tx, `SELECT name FROM session_events WHERE session_id = ? ORDER BY name`, arg, func(r *sql.Rows) error {
		var n string
		err := r.Scan(&n)
		s.Events = append(s.Events, n)
		return err
	})
	if err != nil {
		return fmt.Errorf("events: %w", err)
	}
	err = each(ctx, tx, `SELECT key, value FROM session_traits WHERE session_id = ?`, arg, func(r *sql.Rows) error {
		var k, v string
		if err := r.Scan(&k, &v); err != nil {
			return err
		}
		if s.Traits == nil {
			s.Traits = map[string]string{}
		}
		s.Traits[k] = v
		return nil
	})
	if err != nil {
		return fmt.Errorf("traits: %w", err)
	}
	err = each(ctx, tx, `SELECT user_id, first_at FROM session_users WHERE session_id = ? ORDER BY first_at, user_id`, arg, func(r *sql.Rows) error {
		var u store.SessionUser
		var at int64
		err := r.Scan(&u.UserID, &at)
		u.FirstAt = fromMS(at)
		s.Session.UserIDs = append(s.Session.UserIDs, u)
		return err
	})
	if err != nil {
		return fmt.Errorf("user ids: %w", err)
	}
	err = each(ctx, tx, `SELECT m.message FROM session_errors e JOIN error_messages m ON m.id = e.message_id WHERE e.session_id = ? ORDER BY m.message`, arg, func(r *sql.Rows) error {
		var m string
		err := r.Scan(&m)
		s.Errors = append(s.Errors, m)
		return err
	})
	if err != nil {
		return fmt.Errorf("errors: %w", err)
	}
	err = each(ctx, tx, `SELECT name, variant, first_at FROM session_flags WHERE session_id = ? ORDER BY first_at, name, variant`, arg, func(r *sql.Rows) error {
		var f store.SessionFlag
		var at int64
		err := r.Scan(&f.Name, &f.Variant, &at)
		f.FirstAt = fromMS(at)
		s.Flags = append(s.Flags, f)
		return err
	})
	if err != nil {
		return fmt.Errorf("flags: %w", err)
	}
	err = each(ctx, tx, `SELECT at, kind, path, name, text, props FROM session_steps WHERE session_id = ? ORDER BY seq`, arg, func(r *sql.Rows) error {
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
	})
	if err != nil {
		return fmt.Errorf("funnel steps: %w", err)
	}
	err = each(ctx, tx, `SELECT key, value FROM session_event_props WHERE session_id = ? ORDER BY key, value`, arg, func(r *sql.Rows) error {
		var p store.Prop
		err := r.Scan(&p.Key, &p.Value)
		s.Props = append(s.Props, p)
		return err
	})
	if err != nil {
		return fmt.Errorf("event properties: %w", err)
	}
	var packed [][]byte
	err = each(ctx, tx, `SELECT pieces FROM session_text_refs WHERE session_id = ? ORDER BY id`, arg, func(r *sql.Rows) error {
		var b []byte
		err := r.Scan(&b)
		packed = append(packed, b)
		return err
	})
	if err != nil {
		return fmt.Errorf("text: %w", err)
	}
	for _, b := range packed {
		ids, err := unpackIDs(b)
		if err != nil {
			return fmt.Errorf("text: %w", err)
		}
		arg, err := json.Marshal(ids)
		if err != nil {
			return fmt.Errorf("text: %w", err)
		}
		byID := make(map[int64]string, len(ids))
		err = each(ctx, tx, `SELECT id, text FROM text_pieces WHERE id IN (SELECT value FROM json_each(?))`, []any{string(arg)}, func(r *sql.Rows) error {
			var pid int64
			var t string
			err := r.Scan(&pid, &t)
			byID[pid] = t
			return err
		})
		if err != nil {
			return fmt.Errorf("text: %w", err)
		}
		texts := make([]string, 0, len(ids))
		for _, pid := range ids {
			t, ok := byID[pid]
			if !ok {
				return fmt.Errorf("text piece %d: %w", pid, store.ErrNotFound)
			}
			texts = append(texts, t)
		}
		// By text, not by id: ids are this index's own, the texts are the same in any.
		slices.Sort(texts)
		s.Text = append(s.Text, texts)
	}
	err = each(ctx, tx, `SELECT kind, at, path, target, fingerprint, detail FROM session_signals WHERE session_id = ? ORDER BY rowid`, arg, func(r *sql.Rows) error {
		var g store.StoredSignal
		var at int64
		err := r.Scan(&g.Kind, &at, &g.Path, &g.Target, &g.Fingerprint, &g.Detail)
		g.At = fromMS(at)
		s.Signals = append(s.Signals, g)
		return err
	})
	if err != nil {
		return fmt.Errorf("signals: %w", err)
	}
	err = each(ctx, tx, `SELECT p.path, h.device, h.first_at, h.last_at, h.data FROM heat h JOIN heat_pages p ON p.id = h.page_id
		WHERE h.session_id = ? ORDER BY p.path`, arg, func(r *sql.Rows) error {
		var h store.HeatRow
		var first, last int64
		var data []byte
		if err := r.Scan(&h.Path, &h.Device, &first, &last, &data); err != nil {
			return err
		}
		h.FirstAt, h.LastAt = fromMS(first), fromMS(last)
		clicks, views, err := unpackHeat(first, data)
		if err != nil {
			return err
		}
		for _, c := range clicks {
			h.Clicks = append(h.Clicks, store.HeatClick{Tab: c.tab, At: fromMS(c.at), Selector: c.selector, X: c.x, Y: c.y,
				W: int(c.w), H: int(c.h), PageX: int(c.pageX), PageY: int(c.pageY)})
		}
		for _, v := range views {
			h.Views = append(h.Views, store.PageDepth{Tab: v.tab, At: fromMS(v.at), Seen: fromMS(v.seen), Depth: float64(v.depth) / 100})
		}
		s.Heat = append(s.Heat, h)
		return nil
	})
	if err != nil {
		return fmt.Errorf("heat: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT url, hash, type, size, error, fetched_at FROM session_archive WHERE session_id = ? ORDER BY url`, id)
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	if s.Archive, err = scanArchived(rows); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	if s.Vitals, err = sessionVitals(ctx, tx, id); err != nil {
		return err
	}
	if len(s.Vitals) == 0 {
		s.Vitals = nil
	}
	return nil
}

func exportBlobs(ctx context.Context, tx *sql.Tx, fn func(store.Record) error) error {
	after := ""
	for {
		var page []store.BlobRefs
		err := each(ctx, tx, `SELECT key, refs FROM blobs WHERE key > ? ORDER BY key LIMIT 1000`, []any{after}, func(r *sql.Rows) error {
			var b store.BlobRefs
			err := r.Scan(&b.Key, &b.Refs)
			page = append(page, b)
			return err
		})
		if err != nil || len(page) == 0 {
			return err
		}
		for i := range page {
			if err := fn(store.Record{Blob: &page[i]}); err != nil {
				return err
			}
		}
		after = page[len(page)-1].Key
	}
}

func exportSaved(ctx context.Context, tx *sql.Tx, fn func(store.Record) error) error {
	var all []*store.SavedRecord
	err := each(ctx, tx, `SELECT id, project_id, name, query, owner_id, shared, created_at, updated_at FROM saved_searches ORDER BY id`, nil, func(r *sql.Rows) error {
		var s store.SavedRecord
		var created, updated int64
		x := &s.Search
		err := r.Scan(&x.ID, &x.ProjectID, &x.Name, &x.Query, &x.OwnerID, &x.Shared, &created, &updated)
		x.CreatedAt, x.UpdatedAt = fromMS(created), fromMS(updated)
		all = append(all, &s)
		return err
	})
	if err != nil {
		return err
	}
	for _, s := range all {
		err := each(ctx, tx, `SELECT user_id, visited_at FROM saved_search_visits WHERE search_id = ? ORDER BY user_id`, []any{s.Search.ID}, func(r *sql.Rows) error {
			var v store.SavedVisit
			var at int64
			err := r.Scan(&v.UserID, &at)
			v.At = fromMS(at)
			s.Visits = append(s.Visits, v)
			return err
		})
		if err != nil {
			return err
		}
		if err := fn(store.Record{Saved: s}); err != nil {
			return err
		}
	}
	return nil
}

func exportFunnels(ctx context.Context, tx *sql.Tx, fn func(store.Record) error) error {
	var all []*store.Funnel
	err := each(ctx, tx, `SELECT `+funnelCols+` FROM funnels ORDER BY id`, nil, func(r *sql.Rows) error {
		f, err := scanFunnel(r)
		all = append(all, &f)
		return err
	})
	if err != nil {
		return err
	}
	for _, f := range all {
		if err := fn(store.Record{Funnel: f}); err != nil {
			return err
		}
	}
	return nil
}

func exportPlaylists(ctx context.Context, tx *sql.Tx, fn func(store.Record) error) error {
	var all []*store.PlaylistRecord
	err := each(ctx, tx, `SELECT id, project_id, name, owner_id, shared, created_at, updated_at FROM playlists ORDER BY id`, nil, func(r *sql.Rows) error {
		var p store.PlaylistRecord
		var created, updated int64
		x := &p.Playlist
		err := r.Scan(&x.ID, &x.ProjectID, &x.Name, &x.OwnerID, &x.Shared, &created, &updated)
		x.CreatedAt, x.UpdatedAt = fromMS(created), fromMS(updated)
		all = append(all, &p)
		return err
	})
	if err != nil {
		return err
	}
	for _, p := range all {
		err := each(ctx, tx, `SELECT session_id, position, note, added_at, added_by FROM playlist_sessions WHERE playlist_id = ? ORDER BY position, session_id`, []any{p.Playlist.ID}, func(r *sql.Rows) error {
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

func exportAlerts(ctx context.Context, tx *sql.Tx, fn func(store.Record) error) error {
	var all []store.AlertRule
	err := each(ctx, tx, `SELECT id, project_id, name, kind, fingerprint, threshold, window_ms, webhook, created_at, fired_at, COALESCE(saved_search_id, 0), format, secret
		FROM alert_rules ORDER BY id`, nil, func(r *sql.Rows) error {
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
	for i := range all {
		if err := fn(store.Record{Alert: &all[i]}); err != nil {
			return err
		}
	}
	return nil
}

// Import writes records in one transaction, each skipped when its unit is already there.
func (db *DB) Import(ctx context.Context, recs []store.Record) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: import: %w", err)
	}
	defer tx.Rollback()
	for _, r := range recs {
		if err := importRecord(ctx, tx, r); err != nil {
			return fmt.Errorf("sqlite: import: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: import: commit: %w", err)
	}
	return nil
}

// inserted reports whether an INSERT … ON CONFLICT DO NOTHING wrote its row.
func inserted(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// notFound turns a foreign key violation (a record naming one not imported) into ErrNotFound.
func notFound(err error, what string) error {
	if isForeignKeyViolation(err) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func importRecord(ctx context.Context, tx *sql.Tx, r store.Record) error {
	switch {
	case r.Setting != nil:
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings(name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING`, r.Setting.Name, r.Setting.Value); err != nil {
			return fmt.Errorf("setting %s: %w", r.Setting.Name, err)
		}
	case r.Project != nil:
		p := r.Project
		origins, err := json.Marshal(nonNil(p.AllowedOrigins))
		if err != nil {
			return fmt.Errorf("project %s: %w", p.ID, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO projects(id, name, public_key, allowed_origins, created_at, retention_days, sdk_config, friction, previous_key, previous_key_until, scrub)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
			p.ID, p.Name, p.PublicKey, string(origins), ms(p.CreatedAt), p.RetentionDays, jsonObject(p.SDKConfig), jsonObject(p.Friction), p.PreviousKey, optMS(p.PreviousKeyUntil), jsonObject(p.Scrub)); err != nil {
			return fmt.Errorf("project %s: %w", p.ID, err)
		}
	case r.User != nil:
		u := r.User
		if _, err := tx.ExecContext(ctx, `INSERT INTO users(id, email, password_hash, role, created_at, disabled_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
			u.ID, u.Email, u.PasswordHash, u.Role, ms(u.CreatedAt), optMS(u.DisabledAt)); err != nil {
			return fmt.Errorf("user %d: %w", u.ID, err)
		}
	case r.Access != nil:
		for _, p := range r.Access.Projects {
			if _, err := tx.ExecContext(ctx, `INSERT INTO user_projects(user_id, project_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, r.Access.UserID, p); err != nil {
				return fmt.Errorf("access of user %d: %w", r.Access.UserID, err)
			}
		}
	case r.Identity != nil:
		return importIdentity(ctx, tx, r.Identity)
	case r.Content != nil:
		c := r.Content
		h, err := hashBytes(c.Hash)
		if err != nil {
			return fmt.Errorf("content %d: %w", c.ID, err)
		}
		ok, err := inserted(tx.ExecContext(ctx, `INSERT INTO content(id, project_id, hash, size, stored, touched_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
			c.ID, c.ProjectID, h, c.Size, c.Stored, ms(c.TouchedAt)))
		if err != nil {
			return fmt.Errorf("content %d: %w", c.ID, err)
		}
		for _, ch := range c.Children {
			if !ok {
				break
			}
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO content_children(parent, child) VALUES (?, ?)`, c.ID, ch); err != nil {
				return fmt.Errorf("content %d: %w", c.ID, err)
			}
		}
	case r.Session != nil:
		if err := importSession(ctx, tx, r.Session); err != nil {
			return fmt.Errorf("session %s: %w", r.Session.Session.ID, err)
		}
	case r.Blob != nil:
		if _, err := tx.ExecContext(ctx, `INSERT INTO blobs(key, refs) VALUES (?, ?) ON CONFLICT(key) DO NOTHING`, r.Blob.Key, r.Blob.Refs); err != nil {
			return fmt.Errorf("blob %s: %w", r.Blob.Key, err)
		}
	case r.Saved != nil:
		s := r.Saved.Search
		ok, err := inserted(tx.ExecContext(ctx, `INSERT INTO saved_searches(id, project_id, name, query, owner_id, shared, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
			s.ID, s.ProjectID, s.Name, s.Query, s.OwnerID, boolInt(s.Shared), ms(s.CreatedAt), ms(s.UpdatedAt)))
		if err != nil {
			return notFound(err, fmt.Sprintf("saved search %d", s.ID))
		}
		for _, v := range r.Saved.Visits {
			if !ok {
				break
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO saved_search_visits(search_id, user_id, visited_at) VALUES (?, ?, ?)`, s.ID, v.UserID, ms(v.At)); err != nil {
				return fmt.Errorf("saved search %d: visit: %w", s.ID, err)
			}
		}
	case r.Funnel != nil:
		f := r.Funnel
		if _, err := tx.ExecContext(ctx, `INSERT INTO funnels(id, project_id, name, definition, owner_id, shared, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
			f.ID, f.ProjectID, f.Name, f.Definition, f.OwnerID, boolInt(f.Shared), ms(f.CreatedAt), ms(f.UpdatedAt)); err != nil {
			return notFound(err, fmt.Sprintf("funnel %d", f.ID))
		}
	case r.Playlist != nil:
		p := r.Playlist.Playlist
		ok, err := inserted(tx.ExecContext(ctx, `INSERT INTO playlists(id, project_id, name, owner_id, shared, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
			p.ID, p.ProjectID, p.Name, p.OwnerID, boolInt(p.Shared), ms(p.CreatedAt), ms(p.UpdatedAt)))
		if err != nil {
			return notFound(err, fmt.Sprintf("playlist %d", p.ID))
		}
		for _, pin := range r.Playlist.Pins {
			if !ok {
				break
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO playlist_sessions(playlist_id, session_id, position, note, added_at, added_by) VALUES (?, ?, ?, ?, ?, ?)`,
				p.ID, pin.SessionID, pin.Position, pin.Note, ms(pin.AddedAt), pin.AddedBy); err != nil {
				return notFound(err, fmt.Sprintf("playlist %d: pin %s", p.ID, pin.SessionID))
			}
		}
	case r.Alert != nil:
		a := r.Alert
		var saved any
		if a.SavedSearchID != 0 {
			saved = a.SavedSearchID
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_rules(id, project_id, name, kind, fingerprint, threshold, window_ms, webhook, created_at, fired_at, saved_search_id, format, secret)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
			a.ID, a.ProjectID, a.Name, a.Kind, a.Fingerprint, a.Threshold, a.Window.Milliseconds(), a.Webhook, ms(a.CreatedAt), optMS(a.FiredAt), saved, a.Format, a.Secret); err != nil {
			return notFound(err, fmt.Sprintf("alert %d", a.ID))
		}
	case r.Token != nil:
		return importToken(ctx, tx, r.Token)
	case r.Audit != nil:
		return importAudit(ctx, tx, r.Audit)
	case r.Share != nil:
		l := r.Share
		if _, err := tx.ExecContext(ctx, `INSERT INTO share_links(`+shareCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
			l.ID, l.TokenHash, l.SessionID, l.ProjectID, l.CreatedBy, ms(l.CreatedAt), ms(l.ExpiresAt), optMS(l.RevokedAt), l.AtMS, l.Note); err != nil {
			return notFound(err, "share link "+l.ID)
		}
	case r.Comment != nil:
		c := r.Comment
		if _, err := tx.ExecContext(ctx, `INSERT INTO comments(`+commentCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
			c.ID, c.SessionID, c.ProjectID, c.AuthorID, c.Author, c.AtMS, c.Body, ms(c.CreatedAt), optMS(c.EditedAt)); err != nil {
			return notFound(err, "comment "+c.ID)
		}
	case r.Erased != nil:
		e := r.Erased
		if _, err := tx.ExecContext(ctx, `INSERT INTO erased_sessions(id, project_id, erased_at) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING`, e.ID, e.ProjectID, ms(e.At)); err != nil {
			return fmt.Errorf("erased session %s: %w", e.ID, err)
		}
	default:
		return errors.New("empty record")
	}
	return nil
}

// importSession writes a session and all its rows, unless the session is there already.
func importSession(ctx context.Context, tx *sql.Tx, s *store.SessionRecord) error {
	x := s.Session
	id := x.ID
	sc, scTotal := store.ScrubCountsOf(x.Scrubbed)
	ok, err := inserted(tx.ExecContext(ctx, `INSERT INTO sessions(`+moveSessionCols+`, scrubbed)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO NOTHING`,
		id, x.ProjectID, ms(x.StartedAt), ms(x.EndedAt), x.Pages, x.EntryURL, x.ExitURL, x.Clicks, x.Events, x.Tabs,
		x.UserAgent, x.Viewport.Width, x.Viewport.Height, ms(x.UpdatedAt), x.UserID, optMS(x.Compacted), x.Country, x.Errors, x.Failed,
		x.Score, x.Summary, x.Friction, x.RageClicks, x.DeadClicks, x.ActiveMS,
		s.EntryPath, s.ExitPath, s.Browser, s.BrowserVersion, s.OS, s.Device, s.Referrer, s.ReferrerHost,
		s.UTMSource, s.UTMMedium, s.UTMCampaign, s.TextBytes, optMS(s.LastBatchAt), optMS(s.LeaseUntil), optMS(s.AnalyzedAt),
		sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], scTotal))
	if err != nil {
		return notFound(err, "row")
	}
	if !ok {
		return nil
	}
	for _, p := range s.Pages {
		if _, err := tx.ExecContext(ctx, `INSERT INTO session_pages(session_id, tab, at, url, path) VALUES (?, ?, ?, ?, ?)`, id, p.Tab, ms(p.At), p.URL, p.Path); err != nil {
			return fmt.Errorf("page: %w", err)
		}
	}
	for _, c := range s.Chunks {
		if _, err := tx.ExecContext(ctx, `INSERT INTO chunks(session_id, tab, seq, first_at, last_at, events, raw_bytes, stored_bytes, blob_key, sent_at, created_at, snapshot_at, compacted, blob_offset, blob_length)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, c.Tab, c.Seq, ms(c.FirstAt), ms(c.LastAt), c.Events, c.RawBytes, c.StoredBytes, c.BlobKey, ms(c.SentAt), ms(c.CreatedAt),
			optMS(c.SnapshotAt), c.Compacted, c.BlobOffset, c.BlobLength); err != nil {
			return fmt.Errorf("chunk %s/%d: %w", c.Tab, c.Seq, err)
		}
	}
	// One row per blob key, its segments in tab and index order, as compaction writes them.
	byKey := map[string][]store.Segment{}
	var keys []string
	for _, g := range s.Segments {
		if _, ok := byKey[g.BlobKey]; !ok {
			keys = append(keys, g.BlobKey)
		}
		byKey[g.BlobKey] = append(byKey[g.BlobKey], g)
	}
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `INSERT INTO segments(session_id, blob_key, data) VALUES (?, ?, ?)`, id, k, packSegments(byKey[k])); err != nil {
			return fmt.Errorf("segments: %w", err)
		}
	}
	if len(s.Content) > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO session_content(session_id, ids) VALUES (?, ?)`, id, packIDs(s.Content)); err != nil {
			return fmt.Errorf("content: %w", err)
		}
	}
	for _, n := range s.Events {
		if _, err := tx.ExecContext(ctx, `INSERT INTO session_events(session_id, name) VALUES (?, ?)`, id, n); err != nil {
			return fmt.Errorf("event name: %w", err)
		}
	}
	for k, v := range s.Traits {
		if _, err := tx.ExecContext(ctx, `INSERT INTO session_traits(session_id, key, value) VALUES (?, ?, ?)`, id, k, v); err != nil {
			return fmt.Errorf("trait: %w", err)
		}
	}
	for _, u := range s.Session.UserIDsOrCurrent() {
		if _, err := tx.ExecContext(ctx, `INSERT INTO session_users(session_id, user_id, first_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, id, u.UserID, ms(u.FirstAt)); err != nil {
			return fmt.Errorf("user id: %w", err)
		}
	}
	for _, f := range s.Flags {
		if _, err := tx.ExecContext(ctx, `INSERT INTO session_flags(session_id, name, variant, first_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, id, f.Name, f.Variant, ms(f.FirstAt)); err != nil {
			return fmt.Errorf("flag: %w", err)
		}
	}
	for i, st := range s.Steps {
		if _, err := tx.ExecContext(ctx, `INSERT INTO session_steps(session_id, seq, at, kind, path, name, text, props) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			id, i, ms(st.At), st.Kind, st.Path, st.Name, st.Text, propsJSON(st.Props)); err != nil {
			return fmt.Errorf("funnel step: %w", err)
		}
	}
	for _, m := range s.Errors {
		if _, err := tx.ExecContext(ctx, `INSERT INTO error_messages(message) VALUES (?) ON CONFLICT(message) DO NOTHING`, m); err != nil {
			return fmt.Errorf("error message: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO session_errors(session_id, message_id) SELECT ?, id FROM error_messages WHERE message = ?`, id, m); err != nil {
			return fmt.Errorf("error message: %w", err)
		}
	}
	for _, p := range s.Props {
		if _, err := tx.ExecContext(ctx, `INSERT INTO session_event_props(session_id, key, value) VALUES (?, ?, ?)`, id, p.Key, p.Value); err != nil {
			return fmt.Errorf("event property: %w", err)
		}
	}
	for _, texts := range s.Text {
		if err := importTextRow(ctx, tx, id, texts); err != nil {
			return fmt.Errorf("text: %w", err)
		}
	}
	for _, g := range s.Signals {
		if _, err := tx.ExecContext(ctx, `INSERT INTO session_signals(session_id, project_id, kind, at, path, target, fingerprint, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			id, x.ProjectID, g.Kind, ms(g.At), g.Path, g.Target, g.Fingerprint, g.Detail); err != nil {
			return fmt.Errorf("signal: %w", err)
		}
	}
	for _, h := range s.Heat {
		var pageID int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO heat_pages(project_id, path) VALUES (?, ?)
			ON CONFLICT(project_id, path) DO UPDATE SET path = excluded.path RETURNING id`, x.ProjectID, h.Path).Scan(&pageID); err != nil {
			return fmt.Errorf("heat page: %w", err)
		}
		clicks := make([]heatClick, 0, len(h.Clicks))
		for _, c := range h.Clicks {
			clicks = append(clicks, heatClick{tab: c.Tab, at: ms(c.At), selector: c.Selector, x: c.X, y: c.Y,
				w: int64(c.W), h: int64(c.H), pageX: int64(c.PageX), pageY: int64(c.PageY)})
		}
		views := make([]heatView, 0, len(h.Views))
		for _, v := range h.Views {
			views = append(views, heatView{tab: v.Tab, at: ms(v.At), seen: ms(v.Seen), depth: int64(math.Round(v.Depth * 100))})
		}
		first := ms(h.FirstAt)
		if _, err := tx.ExecContext(ctx, `INSERT INTO heat(page_id, session_id, device, first_at, last_at, data) VALUES (?, ?, ?, ?, ?, ?)`,
			pageID, id, h.Device, first, ms(h.LastAt), packHeat(first, clicks, views)); err != nil {
			return fmt.Errorf("heat: %w", err)
		}
	}
	for _, a := range s.Archive {
		var h []byte
		if a.Hash != "" {
			if h, err = hashBytes(a.Hash); err != nil {
				return fmt.Errorf("archive: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO session_archive(session_id, project_id, url, hash, type, size, error, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			id, x.ProjectID, a.URL, h, a.Type, a.Size, a.Error, ms(a.FetchedAt)); err != nil {
			return fmt.Errorf("archive: %w", err)
		}
	}
	for _, v := range s.Vitals {
		if _, err := tx.ExecContext(ctx, upsertVital, append([]any{id, x.ProjectID, v.Tab, ms(v.PageAt), v.URL, v.Path}, vitalArgs(v.Values)...)...); err != nil {
			return fmt.Errorf("vitals: %w", err)
		}
	}
	return nil
}

// importTextRow references a row of on-screen text pieces, storing those this index lacks.
// Pieces get this index's ids; the texts are what the record carries.
func importTextRow(ctx context.Context, tx *sql.Tx, sessionID string, texts []string) error {
	if len(texts) == 0 {
		return nil
	}
	found, err := findPieces(ctx, tx, texts)
	if err != nil {
		return err
	}
	var missing []string
	for _, t := range texts {
		if _, ok := found[t]; !ok && !slices.Contains(missing, t) {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		ids, err := storePieces(ctx, tx, missing)
		if err != nil {
			return err
		}
		for i, t := range missing {
			found[t] = ids[i]
		}
	}
	ids := make([]int64, 0, len(texts))
	for _, t := range texts {
		ids = append(ids, found[t])
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO session_text_refs(session_id, pieces) VALUES (?, ?)`, sessionID, packIDs(ids))
	if err != nil {
		return err
	}
	row, err := res.LastInsertId()
	if err != nil {
		return err
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	_, err = tx.ExecContext(ctx, `INSERT INTO session_text_refs_fts(rowid, pieces) VALUES (?, ?)`, row, idWords(ids, " "))
	return err
}

func exportShares(ctx context.Context, tx *sql.Tx, fn func(store.Record) error) error {
	var all []store.ShareLink
	err := each(ctx, tx, `SELECT `+shareCols+` FROM share_links ORDER BY id`, nil, func(r *sql.Rows) error {
		l, err := scanShare(r)
		all = append(all, l)
		return err
	})
	if err != nil {
		return err
	}
	for i := range all {
		if err := fn(store.Record{Share: &all[i]}); err != nil {
			return err
		}
	}
	return nil
}

func exportErased(ctx context.Context, tx *sql.Tx, fn func(store.Record) error) error {
	var all []store.ErasedSession
	err := each(ctx, tx, `SELECT id, project_id, erased_at FROM erased_sessions ORDER BY id`, nil, func(r *sql.Rows) error {
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
	for i := range all {
		if err := fn(store.Record{Erased: &all[i]}); err != nil {
			return err
		}
	}
	return nil
}

// SessionRecord reads one session with every row that belongs to it, as Export does, in one
// read transaction (a subject access export, docs/api.md).
func (db *DB) SessionRecord(ctx context.Context, id string) (store.SessionRecord, error) {
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return store.SessionRecord{}, fmt.Errorf("sqlite: session record %s: %w", id, err)
	}
	defer tx.Rollback()
	var rec *store.SessionRecord
	err = each(ctx, tx, `SELECT `+moveSessionCols+` FROM sessions WHERE id = ?`, []any{id}, func(r *sql.Rows) error {
		s, err := scanSessionRecord(r)
		rec = s
		return err
	})
	if err != nil {
		return store.SessionRecord{}, fmt.Errorf("sqlite: session record %s: %w", id, err)
	}
	if rec == nil {
		return store.SessionRecord{}, fmt.Errorf("sqlite: session record %s: %w", id, store.ErrNotFound)
	}
	if err := exportSessionRows(ctx, tx, rec); err != nil {
		return store.SessionRecord{}, fmt.Errorf("sqlite: session record %s: %w", id, err)
	}
	return *rec, nil
}

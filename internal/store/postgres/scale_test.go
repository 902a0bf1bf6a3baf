package postgres

import (
	"context"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
)

// scaleQueries are bench/search's queries (bench/cmd/search), the figure PostgreSQL's indexes
// are designed for: p95 ≤ 200 ms each at a million sessions.
func scaleQueries(week string) []string {
	return []string{
		"",
		"visited:/checkout/payment -visited:/thanks",
		`error:"TypeError"`,
		"browser:firefox duration:>2m",
		"user.plan:pro event:signup_clicked",
		"country:DE clicks:>3",
		"failed:>0 sort:errors",
		"sort:longest",
		"device:mobile os:ios after:" + week,
		"user:user_123457",
		"errors:>3 OR failed:>3",
		"visited:/products/42",
		"(browser:safari OR browser:firefox) -user:* pages:>5",
		`visited:/checkout* -visited:/thanks error:"TypeError" browser:firefox duration:>2m user.plan:pro country:DE clicks:>3`,
		`error:"quota exceeded" sort:longest`,
		"utm_source:newsletter viewport.width:<768",
		"referrer:*google* -user:*",
		`text:"payment declined"`,
		"event.plan:pro OR issue:js_error|*",
		"sort:friction",
		"text:checkout",
		`text:"card expired" browser:safari`,
		"event.plan:pro",
		`issue:"rage_click|/cart|button#apply-coupon \"Apply\""`,
		"friction.dead_click:>0",
	}
}

// TestSearchScale times scaleQueries on REEL_PG_SCALE synthetic sessions (generated in SQL,
// shaped like bench/search's), and shows the plan of any query over 200 ms. It is skipped
// unless the variable is set: `REEL_PG_SCALE=200000 go test -run SearchScale -v`.
func TestSearchScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("REEL_PG_SCALE"))
	if n <= 0 {
		t.Skip("set REEL_PG_SCALE to a number of sessions to time the search bench's queries")
	}
	ctx := context.Background()
	// REEL_PG_SCALE_URL names a database to keep the sessions in between runs (loaded when it
	// has none); by default a fresh one is made and dropped.
	var db *DB
	if url := os.Getenv("REEL_PG_SCALE_URL"); url != "" {
		var err error
		if db, err = Open(ctx, url); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
	} else {
		db = open(t)
	}
	now := time.Now()
	var have int
	if err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM projects`).Scan(&have); err != nil {
		t.Fatal(err)
	}
	if have > 0 {
		var started int64
		if err := db.pool.QueryRow(ctx, `SELECT created_at FROM projects WHERE id = 'p'`).Scan(&started); err != nil {
			t.Fatal(err)
		}
		now = time.UnixMilli(started)
		scaleSearch(t, db, now, n)
		return
	}
	if err := db.CreateProject(ctx, store.Project{ID: "p", Name: "p", PublicKey: "pk", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for _, q := range scaleLoad {
		q = strings.NewReplacer("$1", strconv.Itoa(n), "$2", strconv.FormatInt(now.UnixMilli(), 10)).Replace(q)
		if _, err := db.pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Optimize(ctx); err != nil {
		t.Fatal(err)
	}
	var size int64
	db.pool.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&size)
	t.Logf("%d sessions loaded in %.1fs, %.0f MiB", n, time.Since(start).Seconds(), float64(size)/(1<<20))
	scaleSearch(t, db, now, n)
}

func scaleSearch(t *testing.T, db *DB, now time.Time, n int) {
	ctx := context.Background()
	slow := 200.0 // ms; REEL_PG_SCALE_SLOW_MS shows the plans of faster queries too
	if v, err := strconv.ParseFloat(os.Getenv("REEL_PG_SCALE_SLOW_MS"), 64); err == nil {
		slow = v
	}
	worst := 0.0
	for _, qs := range scaleQueries(now.AddDate(0, 0, -7).Format("2006-01-02")) {
		plan, err := search.Parse(qs)
		if err != nil {
			t.Fatal(err)
		}
		lq := store.ListQuery{ProjectID: "p", Limit: 50, Query: plan, Count: true}
		var times []float64
		var page store.SessionPage
		for r := range 6 {
			t0 := time.Now()
			if page, err = db.ListSessions(ctx, lq); err != nil {
				t.Fatalf("%q: %v", qs, err)
			}
			if r > 0 {
				times = append(times, float64(time.Since(t0).Microseconds())/1000)
			}
		}
		slices.Sort(times)
		p95 := times[int(math.Ceil(0.95*float64(len(times))))-1]
		worst = max(worst, p95)
		t.Logf("%-100q matches=%-5d capped=%-5v p50_ms=%.1f p95_ms=%.1f", qs, page.Count, page.Capped, times[len(times)/2], p95)
		if p95 > slow {
			l, _ := db.listSQL(ctx, lq)
			for _, q := range []struct {
				sql  string
				args []any
			}{{l.query, l.args}, {l.count, l.countArgs}} {
				rows, err := db.pool.Query(ctx, `EXPLAIN (ANALYZE, BUFFERS) `+q.sql, q.args...)
				if err != nil {
					t.Fatal(err)
				}
				lines, _ := pgx.CollectRows(rows, pgx.RowTo[string])
				t.Logf("plan:\n%s", strings.Join(lines, "\n"))
			}
		}
	}
	t.Logf("search: sessions=%d p95_ms=%.1f", n, worst)
}

// scaleLoad generates $1 sessions ending before $2 (ms; both written into the SQL) in project p with pages, events,
// traits, errors, properties, findings and on-screen text, in proportions like bench/search's.
var scaleLoad = []string{
	`CREATE TEMP TABLE gen AS SELECT i,
		's_' || lpad(to_hex(i), 16, '0') AS id,
		$2::bigint - (random() * 30 * 86400000)::bigint AS started,
		least(exp(random() * 2.4 + 10.3), 4 * 3600e3)::bigint AS dur,
		(ARRAY['chrome','chrome','chrome','safari','safari','firefox','edge','samsung internet'])[1 + floor(random() * 8)::int] AS browser,
		(ARRAY['windows','macos','android','ios','linux'])[1 + floor(random() * 5)::int] AS os,
		(ARRAY['desktop','desktop','desktop','mobile','mobile','tablet'])[1 + floor(random() * 6)::int] AS device,
		(ARRAY['US','US','US','DE','GB','FR','IN','BR','CA','NL'])[1 + floor(random() * 10)::int] AS country,
		CASE WHEN random() < 0.4 THEN 'user_' || (random() * 300000)::int ELSE '' END AS user_id,
		random() < 0.18 AS checkout, random() < 0.7 AS paid,
		CASE WHEN random() < 0.12 THEN 1 + (random() * 4)::int ELSE 0 END AS errs,
		CASE WHEN random() < 0.08 THEN 1 + (random() * 5)::int ELSE 0 END AS failed,
		random() AS r, (1 + random() * 7)::int AS np
		FROM generate_series(1, $1::int) i`,
	`CREATE TEMP TABLE gen_pages AS
		SELECT g.id, k, CASE WHEN x < 0.15 THEN '/' WHEN x < 0.45 THEN '/products/' || (x * 10000)::int % 500
			WHEN x < 0.55 THEN '/search' WHEN x < 0.62 THEN '/cart' WHEN x < 0.67 THEN '/blog/post-' || (x * 10000)::int % 200
			WHEN x < 0.72 THEN '/pricing' WHEN x < 0.77 THEN '/account' ELSE '/category/' || (x * 10000)::int % 40 END AS path
		FROM gen g, LATERAL (SELECT k, random() AS x FROM generate_series(1, g.np) k) p
		UNION ALL SELECT g.id, g.np + k, (ARRAY['/cart','/checkout/shipping','/checkout/payment','/checkout/review','/thanks'])[k]
		FROM gen g, generate_series(1, 5) k WHERE g.checkout AND (k <= 3 OR g.paid)`,
	`INSERT INTO sessions(id, project_id, started_at, ended_at, pages, entry_url, exit_url, entry_path, exit_path, clicks, events, tabs, updated_at, user_id,
			browser, os, device, country, errors, failed_requests, vp_width, vp_height, utm_source, referrer_host, score, friction, rage_clicks, dead_clicks, last_batch_at, compacted_at)
		SELECT g.id, 'p', g.started, g.started + g.dur, pc.n, 'https://shop.example.com' || pc.entry, 'https://shop.example.com' || pc.exit, pc.entry, pc.exit,
			(random() * 4 * pc.n)::int, 100, 1, g.started + g.dur, g.user_id, g.browser, g.os, g.device, g.country, g.errs, g.failed,
			CASE g.device WHEN 'mobile' THEN 390 WHEN 'tablet' THEN 820 ELSE 1440 END, 800,
			CASE WHEN g.r < 0.08 THEN 'newsletter' WHEN g.r < 0.2 THEN 'google' ELSE '' END,
			CASE WHEN g.r < 0.08 THEN '' WHEN g.r < 0.45 THEN 'www.google.com' WHEN g.r < 0.5 THEN 'news.ycombinator.com' ELSE '' END,
			(random() * 100)::int, (random() * 3)::int, (random() * 1.3)::int, (random() * 1.5)::int, g.started + g.dur, g.started + g.dur + 1
		FROM gen g JOIN (SELECT id, COUNT(*) AS n, (array_agg(path ORDER BY k))[1] AS entry, (array_agg(path ORDER BY k DESC))[1] AS exit FROM gen_pages GROUP BY id) pc ON pc.id = g.id`,
	`INSERT INTO session_pages(session_id, tab, at, url, path)
		SELECT p.id, 'tab_0001', g.started + p.k * 1000, 'https://shop.example.com' || p.path, p.path FROM gen_pages p JOIN gen g ON g.id = p.id ORDER BY p.id, p.k`,
	`INSERT INTO session_events(session_id, name)
		SELECT DISTINCT g.id, (ARRAY['signup_clicked','add_to_cart','checkout_started','coupon_applied','search_submitted','filter_changed','video_played','newsletter_subscribed'])[1 + least(7, floor(-ln(1 - random() * 0.999) * 2)::int)]
		FROM gen g, generate_series(1, 3) k WHERE (g.r * 1000)::int % 2 = 0 AND k <= 1 + (g.r * 100)::int % 3`,
	`INSERT INTO session_traits(session_id, key, value)
		SELECT id, 'plan', CASE WHEN x < 0.6 THEN 'free' WHEN x < 0.85 THEN 'pro' WHEN x < 0.95 THEN 'team' ELSE 'enterprise' END
		FROM (SELECT id, random() AS x FROM gen WHERE user_id <> '') u
		UNION ALL SELECT id, 'company', 'company-' || (random() * 20000)::int FROM gen WHERE user_id <> ''`,
	`INSERT INTO error_messages(hash, message)
		SELECT sha256(convert_to(m, 'UTF8')), m FROM (SELECT CASE i % 5
			WHEN 0 THEN 'TypeError: Cannot read properties of undefined (reading ''item' || i || ''')'
			WHEN 1 THEN 'ReferenceError: widget' || i || ' is not defined'
			WHEN 2 THEN 'Failed to fetch /api/v2/resource/' || i
			WHEN 3 THEN 'ChunkLoadError: Loading chunk ' || i || ' failed'
			ELSE 'QuotaExceededError: quota exceeded writing key cache_' || i END AS m
		FROM generate_series(0, 199) i) x`,
	`INSERT INTO session_errors(session_id, message_id)
		SELECT DISTINCT g.id, 1 + least(199, (-ln(1 - random() * 0.999) * 40)::int) FROM gen g, generate_series(1, 5) k
		WHERE k <= g.errs ON CONFLICT DO NOTHING`,
	`INSERT INTO session_event_props(session_id, key, value, hash)
		SELECT g.id, 'plan', v, sha256(convert_to('plan' || chr(1) || v || g.id, 'UTF8')) FROM (SELECT id, (ARRAY['free','pro','team'])[1 + floor(random() * 3)::int] AS v FROM gen WHERE random() < 0.6) g`,
	`INSERT INTO session_signals(session_id, project_id, kind, at, path, target, fingerprint)
		SELECT g.id, 'p', k.kind, g.started, '/cart', k.target, k.kind || '|/cart|' || k.target
		FROM gen g, LATERAL (SELECT (ARRAY['rage_click','dead_click','js_error','quick_back'])[1 + floor(random() * 4 + 0 * length(g.id))::int] AS kind,
			(ARRAY['button#apply-coupon "Apply"','img','TypeError','a'])[1 + floor(random() * 4 + 0 * length(g.id))::int] AS target) k
		WHERE random() < 0.6`,
	`INSERT INTO text_pieces(hash, text, words)
		SELECT sha256(convert_to(t, 'UTF8')), t, to_tsvector('simple', t) FROM (
			SELECT CASE WHEN i = 1 THEN 'Payment declined' WHEN i = 2 THEN 'Your card expired' WHEN i <= 50 THEN 'Checkout step ' || i
				ELSE 'Product ' || i || ' in stock, free shipping over ' || (i % 90) || ' euros' END AS t
			FROM generate_series(1, 5000) i) x`,
	`INSERT INTO session_text_refs(session_id, pieces)
		SELECT g.id, ARRAY(SELECT DISTINCT CASE WHEN random() < 0.002 THEN 1 WHEN random() < 0.001 THEN 2 ELSE 3 + (random() * 4997)::int END
			FROM generate_series(1, 20 + (g.r * 40)::int + 0 * length(g.id)) k ORDER BY 1)
		FROM gen g`,
	`DROP TABLE gen, gen_pages`,
}

// Command search generates a large set of realistic synthetic sessions directly into a
// SQLite index with Reel's own schema (the migrations of internal/store/sqlite, bulk inserts in
// big transactions, no HTTP), then runs a fixed set of representative queries through the
// store's ListSessions exactly as GET /api/v1/sessions?q= does (parse, compile, list the first
// page of 50 and count), and prints p50/p95 per query, the index build time and its size.
//
// Usage: search [-sessions 1000000] [-runs 21] [-dir DIR]. bench/search builds and runs it.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/sqlite"
)

const project = "p_bench"

func main() {
	n := flag.Int("sessions", 1_000_000, "sessions to generate")
	runs := flag.Int("runs", 10, "timed runs per query (after one warm-up)")
	dir := flag.String("dir", "", "directory for the index (default: a temporary one, removed after)")
	reuse := flag.Bool("reuse", false, "query the index already in -dir instead of building one")
	flag.Parse()
	if err := run(*n, *runs, *dir, *reuse); err != nil {
		fmt.Fprintln(os.Stderr, "search:", err)
		os.Exit(1)
	}
}

func run(n, runs int, dir string, reuse bool) error {
	ctx := context.Background()
	if dir == "" {
		d, err := os.MkdirTemp("", "reel-search-bench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	path := filepath.Join(dir, "index.db")
	now := time.Now().UTC().Truncate(time.Hour)

	start := time.Now()
	if !reuse {
		// The store creates the schema; the load then writes straight into its tables.
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			return err
		}
		if err := db.CreateProject(ctx, store.Project{ID: project, Name: "bench", PublicKey: "pk_bench", CreatedAt: now}); err != nil {
			return err
		}
		db.Close()
		if err := load(ctx, path, n, now); err != nil {
			return fmt.Errorf("load: %w", err)
		}
	}
	build := time.Since(start)
	size := fileSize(path) + fileSize(path+"-wal")
	fmt.Printf("index: %d sessions built in %.1fs, %.1f MiB on disk (%.0f bytes/session)\n",
		n, build.Seconds(), float64(size)/(1<<20), float64(size)/float64(n))

	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	week := now.AddDate(0, 0, -7).Format("2006-01-02")
	queries := []string{
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
	}
	worst := 0.0
	var baseline float64
	for i, qs := range queries {
		plan, err := search.Parse(qs)
		if err != nil {
			return fmt.Errorf("query %q: %w", qs, err)
		}
		var times []float64
		var page store.SessionPage
		for r := 0; r <= runs; r++ {
			t := time.Now()
			page, err = db.ListSessions(ctx, store.ListQuery{ProjectID: project, Limit: 50, Query: plan, Count: true})
			if err != nil {
				return fmt.Errorf("query %q: %w", qs, err)
			}
			if r > 0 {
				times = append(times, float64(time.Since(t).Microseconds())/1000)
			}
		}
		slices.Sort(times)
		p50, p95 := pct(times, 50), pct(times, 95)
		worst = max(worst, p95)
		if i == 0 {
			baseline = p95
		}
		count := fmt.Sprint(page.Count)
		if page.Capped {
			count = ">" + count
		}
		fmt.Printf("%-110q matches=%-7s page=%-3d p50_ms=%.1f p95_ms=%.1f\n", qs, count, len(page.Sessions), p50, p95)
	}
	fmt.Printf("search: sessions=%d queries=%d build_s=%.1f disk_mib=%.0f unfiltered_p95_ms=%.1f p95_ms=%.1f\n",
		n, len(queries), build.Seconds(), float64(size)/(1<<20), baseline, worst)
	return nil
}

func pct(sorted []float64, p float64) float64 {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// weighted picks from choices with the given weights.
type weighted[T any] struct {
	items []T
	cum   []float64
}

func newWeighted[T any](items []T, weights []float64) weighted[T] {
	w := weighted[T]{items: items}
	sum := 0.0
	for _, x := range weights {
		sum += x
		w.cum = append(w.cum, sum)
	}
	for i := range w.cum {
		w.cum[i] /= sum
	}
	return w
}

func (w weighted[T]) pick(r *rand.Rand) T {
	x := r.Float64()
	i, _ := slices.BinarySearch(w.cum, x)
	return w.items[min(i, len(w.items)-1)]
}

type agent struct{ browser, os, device, ua string }

// bulk buffers rows of one table and inserts them 100 at a time with one prepared statement,
// which is what makes a pure-Go SQLite load fast: the per-statement overhead is paid per 100 rows.
type bulk struct {
	head string
	cols int
	args []any
	stmt *sql.Stmt
}

const bulkRows = 100

func (b *bulk) values(rows int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", b.cols), ",") + ")"
	return b.head + strings.TrimSuffix(strings.Repeat(row+",", rows), ",")
}

func (b *bulk) add(ctx context.Context, tx *sql.Tx, vals ...any) error {
	b.args = append(b.args, vals...)
	if len(b.args) < bulkRows*b.cols {
		return nil
	}
	if b.stmt == nil {
		st, err := tx.PrepareContext(ctx, b.values(bulkRows))
		if err != nil {
			return err
		}
		b.stmt = st
	}
	_, err := b.stmt.ExecContext(ctx, b.args...)
	b.args = b.args[:0]
	return err
}

func (b *bulk) flush(ctx context.Context, tx *sql.Tx) error {
	if len(b.args) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, b.values(len(b.args)/b.cols), b.args...)
	b.args = b.args[:0]
	return err
}

// load writes n sessions with their pages, track events, traits and errors, in transactions
// of 20,000 sessions, then runs ANALYZE so the planner knows the data's shape.
func load(ctx context.Context, path string, n int, now time.Time) error {
	conn, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)&_pragma=cache_size(-262144)&_pragma=temp_store(MEMORY)")
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	r := rand.New(rand.NewPCG(6, 1_000_000))

	agents := newWeighted([]agent{
		{"chrome", "windows", "desktop", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"},
		{"chrome", "macos", "desktop", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"},
		{"chrome", "android", "mobile", "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36"},
		{"safari", "ios", "mobile", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"},
		{"safari", "macos", "desktop", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15"},
		{"safari", "ios", "tablet", "Mozilla/5.0 (iPad; CPU OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"},
		{"firefox", "windows", "desktop", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"},
		{"firefox", "linux", "desktop", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"},
		{"edge", "windows", "desktop", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36 Edg/156.0.0.0"},
		{"samsung internet", "android", "mobile", "Mozilla/5.0 (Linux; Android 15; SM-S928B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36"},
	}, []float64{30, 12, 15, 14, 5, 3, 4, 2, 7, 3})
	countries := newWeighted(strings.Fields("US DE GB FR IN BR CA NL ES IT PL SE JP AU MX CH AT BE DK NO"),
		[]float64{30, 10, 9, 7, 8, 5, 4, 3, 3, 3, 2, 2, 3, 2, 2, 1, 1, 1, 1, 1})
	trackNames := strings.Fields("signup_clicked add_to_cart checkout_started coupon_applied search_submitted filter_changed video_played newsletter_subscribed plan_upgraded invite_sent wishlist_added review_posted chat_opened share_clicked size_guide_opened")
	plans := newWeighted([]string{"free", "pro", "team", "enterprise"}, []float64{60, 25, 10, 5})
	var errorPool []string
	for i := range 200 {
		switch i % 5 {
		case 0:
			errorPool = append(errorPool, fmt.Sprintf("TypeError: Cannot read properties of undefined (reading 'item%d')", i))
		case 1:
			errorPool = append(errorPool, fmt.Sprintf("ReferenceError: widget%d is not defined", i))
		case 2:
			errorPool = append(errorPool, fmt.Sprintf("Failed to fetch /api/v2/resource/%d", i))
		case 3:
			errorPool = append(errorPool, fmt.Sprintf("ChunkLoadError: Loading chunk %d failed", i))
		default:
			errorPool = append(errorPool, fmt.Sprintf("QuotaExceededError: quota exceeded writing key cache_%d", i))
		}
	}
	paths := func() string {
		switch x := r.IntN(100); {
		case x < 15:
			return "/"
		case x < 45:
			return fmt.Sprintf("/products/%d", r.IntN(500))
		case x < 55:
			return "/search"
		case x < 62:
			return "/cart"
		case x < 67:
			return fmt.Sprintf("/blog/post-%d", r.IntN(200))
		case x < 72:
			return "/pricing"
		case x < 77:
			return "/account"
		default:
			return fmt.Sprintf("/category/%d", r.IntN(40))
		}
	}

	// Secondary indexes are dropped for the load and rebuilt from sorted data after it, as a
	// restore would; the rebuild counts in the build time.
	var indexes []string
	rows, err := conn.QueryContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var q string
		if err := rows.Scan(&q); err != nil {
			return err
		}
		indexes = append(indexes, q)
	}
	rows.Close()
	for _, q := range indexes {
		name := strings.Fields(q)[2]
		if strings.HasPrefix(q, "CREATE UNIQUE") {
			continue
		}
		if _, err := conn.ExecContext(ctx, `DROP INDEX `+name); err != nil {
			return err
		}
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	sessions := &bulk{head: `INSERT INTO sessions(id, project_id, started_at, ended_at, pages, entry_url, exit_url, clicks, events, tabs, user_agent, vp_width, vp_height, updated_at, user_id, last_batch_at, browser, browser_version, os, device, country, errors, failed_requests, entry_path, exit_path, utm_source, referrer_host) VALUES `, cols: 27}
	pages := &bulk{head: `INSERT INTO session_pages(session_id, tab, at, url, path) VALUES `, cols: 5}
	events := &bulk{head: `INSERT OR IGNORE INTO session_events(session_id, name) VALUES `, cols: 2}
	traits := &bulk{head: `INSERT OR IGNORE INTO session_traits(session_id, key, value) VALUES `, cols: 3}
	errors := &bulk{head: `INSERT OR IGNORE INTO session_errors(session_id, message_id) VALUES `, cols: 2}
	all := []*bulk{sessions, pages, events, traits, errors}
	for i, m := range errorPool {
		if _, err := tx.ExecContext(ctx, `INSERT INTO error_messages(id, message) VALUES (?, ?)`, i+1, m); err != nil {
			return err
		}
	}
	span := int64(30 * 24 * time.Hour / time.Millisecond)
	for i := range n {
		id := fmt.Sprintf("s_%016x", r.Uint64())
		started := now.UnixMilli() - r.Int64N(span)
		dur := int64(math.Min(math.Exp(r.NormFloat64()*1.2+11.5), 4*3600e3)) // median ~100 s
		a := agents.pick(r)
		var page []string
		checkout := r.IntN(100) < 18
		for k, np := 0, 1+r.IntN(8); k < np; k++ {
			page = append(page, paths())
		}
		if checkout {
			page = append(page, "/cart", "/checkout/shipping", "/checkout/payment")
			if r.IntN(100) < 70 {
				page = append(page, "/checkout/review", "/thanks")
			}
		}
		clicks := r.IntN(4 * len(page))
		errs, failed := 0, 0
		if r.IntN(100) < 12 {
			errs = 1 + r.IntN(5)
		}
		if r.IntN(100) < 8 {
			failed = 1 + r.IntN(6)
		}
		user := ""
		if r.IntN(100) < 40 {
			user = fmt.Sprintf("user_%d", r.IntN(300_000))
		}
		const host = "https://shop.example.com"
		vw, vh := []int{1280, 1440, 1920}[r.IntN(3)], 800
		switch a.device {
		case "mobile":
			vw, vh = 390, 844
		case "tablet":
			vw, vh = 820, 1180
		}
		utm, ref := "", ""
		switch x := r.IntN(100); {
		case x < 8:
			utm = "newsletter"
		case x < 20:
			utm, ref = "google", "www.google.com"
		case x < 45:
			ref = "www.google.com"
		case x < 50:
			ref = "news.ycombinator.com"
		}
		if err := sessions.add(ctx, tx, id, project, started, started+dur, len(page), host+page[0], host+page[len(page)-1], clicks, 50+clicks*3+r.IntN(400), 1, a.ua, vw, vh, started+dur, user, started+dur,
			a.browser, 0, a.os, a.device, countries.pick(r), errs, failed, page[0], page[len(page)-1], utm, ref); err != nil {
			return err
		}
		for k, p := range page {
			if err := pages.add(ctx, tx, id, "tab_0001", started+int64(k)*dur/int64(len(page)), host+p, p); err != nil {
				return err
			}
		}
		if r.IntN(100) < 50 {
			for k := 1 + r.IntN(3); k > 0; k-- {
				if err := events.add(ctx, tx, id, trackNames[int(math.Min(float64(len(trackNames)-1), r.ExpFloat64()*4))]); err != nil {
					return err
				}
			}
		}
		if user != "" {
			if err := traits.add(ctx, tx, id, "plan", plans.pick(r)); err != nil {
				return err
			}
			if err := traits.add(ctx, tx, id, "company", fmt.Sprintf("company-%d", r.IntN(20_000))); err != nil {
				return err
			}
		}
		for range errs {
			if err := errors.add(ctx, tx, id, 1+int(math.Min(199, r.ExpFloat64()*40))); err != nil {
				return err
			}
		}
		if (i+1)%50_000 == 0 {
			for _, b := range all {
				if err := b.flush(ctx, tx); err != nil {
					return err
				}
				b.stmt = nil
			}
			if err := tx.Commit(); err != nil {
				return err
			}
			if tx, err = conn.BeginTx(ctx, nil); err != nil {
				return err
			}
		}
	}
	for _, b := range all {
		if err := b.flush(ctx, tx); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for _, q := range indexes {
		if strings.HasPrefix(q, "CREATE UNIQUE") {
			continue
		}
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	for _, q := range []string{`ANALYZE`, `PRAGMA wal_checkpoint(TRUNCATE)`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

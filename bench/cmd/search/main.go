// Command search generates a large set of realistic synthetic sessions (pages, track events and
// their properties, traits, errors, findings, on-screen text) directly into a SQLite index with
// Reel's own schema (the migrations of internal/store/sqlite, bulk inserts in big transactions,
// no HTTP), then runs a fixed set of representative queries through the store's ListSessions
// exactly as GET /api/v1/sessions?q= does (parse, compile, list the first page of 50 and count),
// and prints p50/p95 per query, the index build time and its size.
//
// With -db postgres://… (or REEL_DB) it does the same on PostgreSQL instead: a fresh database
// created on that server (and dropped after), the schema made by the PostgreSQL store, the same
// generated rows written with COPY, and the same queries through that store's ListSessions.
//
// -keep NAME keeps the PostgreSQL database (reel_bench_NAME) after the run instead of dropping it,
// and -reuse NAME queries that database again without building, so query plans can be studied in
// psql and rerun in seconds; drop it when done (DROP DATABASE reel_bench_NAME).
//
// Usage: search [-sessions 1000000] [-runs 21] [-dir DIR] [-db URL [-keep NAME | -reuse NAME]]. bench/search builds and runs it.
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
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/bench/internal/corpus"
	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/postgres"
	"github.com/reelhq/reel/internal/store/sqlite"
)

const project = "p_bench"

func main() {
	// The load allocates an argument per column of every row; the heap stays small, so
	// collecting less often costs little memory and a good part of the load's time.
	debug.SetGCPercent(400)
	n := flag.Int("sessions", 1_000_000, "sessions to generate")
	runs := flag.Int("runs", 10, "timed runs per query (after one warm-up)")
	dir := flag.String("dir", "", "directory for the index (default: a temporary one, removed after)")
	reuse := flag.Bool("reuse-dir", false, "query the index already in -dir instead of building one")
	dbFlag := flag.String("db", "", "PostgreSQL server to build the index on instead of SQLite (REEL_DB): a URL of a role that may create databases")
	keep := flag.String("keep", "", "with -db: build into the database reel_bench_NAME and keep it after the run")
	reuseDB := flag.String("reuse", "", "with -db: query the database reel_bench_NAME a -keep run left instead of building one")
	flag.Parse()
	var err error
	if db := corpus.DB(*dbFlag); db != "" {
		err = runPostgres(db, *n, *runs, *keep, *reuseDB)
	} else {
		err = run(*n, *runs, *dir, *reuse)
	}
	if err != nil {
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
	// Opening the index gathers the query planner's statistics as the product does (sampled,
	// sqlite.DB.Optimize); that counts in the build.
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	build := time.Since(start)
	size := fileSize(path) + fileSize(path+"-wal")
	return measure(ctx, db, "", n, runs, build, size, now)
}

// runPostgres builds the index on a fresh database of the PostgreSQL server admin names and
// measures the queries there. With keep the database is named for it and left in place; with
// reuse the database a kept run left is measured again, without building.
func runPostgres(admin string, n, runs int, keep, reuse string) error {
	ctx := context.Background()
	name := keep
	if reuse != "" {
		name = reuse
	}
	url, drop, err := corpus.NamedPostgres(ctx, admin, name, reuse != "")
	if err != nil {
		return err
	}
	if name == "" {
		defer drop()
	}
	now := time.Now().UTC().Truncate(time.Hour)
	start := time.Now()
	db, err := postgres.Open(ctx, url)
	if err != nil {
		return err
	}
	defer db.Close()
	if reuse != "" {
		p, err := db.Project(ctx, project)
		if err != nil {
			return err
		}
		now = p.CreatedAt.UTC()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		err = conn.QueryRow(ctx, `SELECT COUNT(*) FROM sessions`).Scan(&n)
		conn.Close(ctx)
		if err != nil {
			return err
		}
	} else {
		if err := db.CreateProject(ctx, store.Project{ID: project, Name: "bench", PublicKey: "pk_bench", CreatedAt: now}); err != nil {
			return err
		}
		if err := loadPostgres(ctx, url, n, now); err != nil {
			return fmt.Errorf("load: %w", err)
		}
	}
	build := time.Since(start)
	size, err := db.Size(ctx)
	if err != nil {
		return err
	}
	return measure(ctx, db, "db=postgres ", n, runs, build, size, now)
}

// lister is what the bench asks of an index.
type lister interface {
	ListSessions(ctx context.Context, q store.ListQuery) (store.SessionPage, error)
}

// measure runs the queries on an index built of n sessions and prints their figures; the last
// line starts with "search: " and label.
func measure(ctx context.Context, db lister, label string, n, runs int, build time.Duration, size int64, now time.Time) error {
	fmt.Printf("index: %d sessions built in %.1fs, %.1f MiB on disk (%.0f bytes/session)\n",
		n, build.Seconds(), float64(size)/(1<<20), float64(size)/float64(n))
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
		"text:checkout",
		`text:"card expired" browser:safari`,
		"event.plan:pro",
		`issue:"rage_click|/cart|button#apply-coupon \"Apply\""`,
		"friction.dead_click:>0",
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
		// A query far over its budget is timed for about ten seconds (at least once), not runs
		// times, so one slow plan cannot hold the whole bench up.
		spent := 0.0
		for r := 0; r <= runs && (r <= 1 || spent < 10_000); r++ {
			t := time.Now()
			page, err = db.ListSessions(ctx, store.ListQuery{ProjectID: project, Limit: 50, Query: plan, Count: true})
			if err != nil {
				return fmt.Errorf("query %q: %w", qs, err)
			}
			if r > 0 {
				times = append(times, float64(time.Since(t).Microseconds())/1000)
				spent += times[len(times)-1]
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
		fmt.Printf("%-110q matches=%-7s page=%-3d runs=%-2d p50_ms=%.1f p95_ms=%.1f\n", qs, count, len(page.Sessions), len(times), p50, p95)
	}
	fmt.Printf("search: %ssessions=%d queries=%d build_s=%.1f disk_mib=%.0f unfiltered_p95_ms=%.1f p95_ms=%.1f\n",
		label, n, len(queries), build.Seconds(), float64(size)/(1<<20), baseline, worst)
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

// Tables the load writes, in the order of a chunk's rows.
const (
	tSessions = iota
	tPages
	tEvents
	tTraits
	tErrors
	tProps
	tSignals
	tPieces
	tText
	tTextIndex
	nTables
)

// inserts are the load's statements, one per table, each taking insertRows rows at once: the
// per-statement overhead of a pure-Go SQLite is then paid per hundred rows. A row is cols
// placeholders, or row when set (which takes cols arguments): on-screen text is written with
// the store's own SQL functions (internal/store/sqlite/text.go), from pieces listed as JSON.
var inserts = [nTables]struct {
	head string
	cols int
	row  string
}{
	tSessions:  {head: `INSERT INTO sessions(id, project_id, started_at, ended_at, pages, entry_url, exit_url, clicks, events, tabs, user_agent, vp_width, vp_height, updated_at, user_id, last_batch_at, browser, browser_version, os, device, country, errors, failed_requests, entry_path, exit_path, utm_source, referrer_host, score, friction, rage_clicks, dead_clicks, analyzed_at, text_bytes) VALUES `, cols: 33},
	tPages:     {head: `INSERT INTO session_pages(session_id, tab, at, url, path) VALUES `, cols: 5},
	tEvents:    {head: `INSERT OR IGNORE INTO session_events(session_id, name) VALUES `, cols: 2},
	tTraits:    {head: `INSERT OR IGNORE INTO session_traits(session_id, key, value) VALUES `, cols: 3},
	tErrors:    {head: `INSERT OR IGNORE INTO session_errors(session_id, message_id) VALUES `, cols: 2},
	tProps:     {head: `INSERT OR IGNORE INTO session_event_props(session_id, key, value) VALUES `, cols: 3},
	tSignals:   {head: `INSERT INTO session_signals(session_id, project_id, kind, at, path, target, fingerprint, detail) VALUES `, cols: 8},
	tPieces:    {head: `INSERT INTO text_pieces(id, hash, text) VALUES `, cols: 3, row: `(?, reel_text_hash(?), ?)`},
	tText:      {head: `INSERT INTO session_text_refs(id, session_id, pieces) VALUES `, cols: 3, row: `(?, ?, reel_text_pack(?))`},
	tTextIndex: {head: `INSERT INTO session_text_refs_fts(rowid, pieces) VALUES `, cols: 2, row: `(?, reel_text_words(reel_text_pack(?)))`},
}

const insertRows = 100

func insertSQL(t, rows int) string {
	row := inserts[t].row
	if row == "" {
		row = "(" + strings.TrimSuffix(strings.Repeat("?,", inserts[t].cols), ",") + ")"
	}
	return inserts[t].head + strings.TrimSuffix(strings.Repeat(row+",", rows), ",")
}

// chunk holds the rows of chunkSessions consecutive sessions, each table's flattened into
// statement arguments. The generator fills chunks while the loader inserts the previous one,
// so the two share the machine's cores.
type chunk [nTables][]any

const chunkSessions = 25_000

// load writes n sessions with their pages, track events and their properties, traits, errors,
// findings and on-screen text, then rebuilds the secondary indexes and the full-text index from
// the loaded rows; the planner's statistics are gathered when the store opens it, as in the
// product.
//
// It is a bulk load into a file nobody else has open, so it runs as a restore would: no
// rollback journal and no syncs (the file is rebuilt from scratch if the load fails), one
// connection holding the lock, one transaction per chunk and every statement prepared once.
// The store opens the file in WAL mode again afterwards, with its own settings.
func load(ctx context.Context, path string, n int, now time.Time) error {
	pool, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=locking_mode(EXCLUSIVE)&_pragma=cache_size(-524288)&_pragma=temp_store(MEMORY)")
	if err != nil {
		return err
	}
	defer pool.Close()
	conn, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	phase := time.Now()
	lap := func(what string) {
		fmt.Fprintf(os.Stderr, "load: %s %.1fs\n", what, time.Since(phase).Seconds())
		phase = time.Now()
	}

	// Secondary indexes are dropped for the load and rebuilt from the loaded rows after it, as
	// a restore would; the rebuild counts in the build time.
	var indexes []string
	rows, err := conn.QueryContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var q string
		if err := rows.Scan(&q); err != nil {
			rows.Close()
			return err
		}
		indexes = append(indexes, q)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, q := range indexes {
		if _, err := conn.ExecContext(ctx, `DROP INDEX `+strings.Fields(q)[2]); err != nil {
			return err
		}
	}
	// So is the full-text index of the pieces of on-screen text: its triggers would index every
	// piece as it is inserted; one rebuild after the load reads them all at once. (The rows'
	// index has no content table to rebuild from: the load writes it with the rows.)
	var triggers []string
	rows, err = conn.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'text_pieces'`)
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var name, q string
		if err := rows.Scan(&name, &q); err != nil {
			rows.Close()
			return err
		}
		names, triggers = append(names, name), append(triggers, q)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, name := range names {
		if _, err := conn.ExecContext(ctx, `DROP TRIGGER `+name); err != nil {
			return err
		}
	}
	var stmts [nTables]*sql.Stmt
	for t := range stmts {
		if stmts[t], err = conn.PrepareContext(ctx, insertSQL(t, insertRows)); err != nil {
			return err
		}
		defer stmts[t].Close()
	}
	for i, m := range errorPool() {
		if _, err := conn.ExecContext(ctx, `INSERT INTO error_messages(id, message) VALUES (?, ?)`, i+1, m); err != nil {
			return err
		}
	}

	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan *chunk, 2)
	go func() {
		defer close(chunks)
		generate(gctx, n, now, chunks)
	}()
	for c := range chunks {
		if err := insertChunk(ctx, conn, &stmts, c); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	lap("rows")
	for _, q := range indexes {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	lap("indexes")
	if _, err := conn.ExecContext(ctx, `INSERT INTO text_pieces_fts(text_pieces_fts) VALUES ('rebuild')`); err != nil {
		return fmt.Errorf("text index: %w", err)
	}
	for _, q := range triggers {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	lap("text index")
	for _, q := range []string{`PRAGMA journal_mode=WAL`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	lap("wal")
	return nil
}

// insertChunk writes one chunk in one transaction.
func insertChunk(ctx context.Context, conn *sql.Conn, stmts *[nTables]*sql.Stmt, c *chunk) error {
	if _, err := conn.ExecContext(ctx, `BEGIN`); err != nil {
		return err
	}
	for t, args := range c {
		step := insertRows * inserts[t].cols
		for len(args) >= step {
			if _, err := stmts[t].ExecContext(ctx, args[:step]...); err != nil {
				return fmt.Errorf("insert: %w", err)
			}
			args = args[step:]
		}
		if len(args) > 0 {
			if _, err := conn.ExecContext(ctx, insertSQL(t, len(args)/inserts[t].cols), args...); err != nil {
				return fmt.Errorf("insert: %w", err)
			}
		}
	}
	_, err := conn.ExecContext(ctx, `COMMIT`)
	return err
}

// errorPool is the 200 distinct error messages sessions draw from, the first most often.
func errorPool() []string {
	var pool []string
	for i := range 200 {
		switch i % 5 {
		case 0:
			pool = append(pool, fmt.Sprintf("TypeError: Cannot read properties of undefined (reading 'item%d')", i))
		case 1:
			pool = append(pool, fmt.Sprintf("ReferenceError: widget%d is not defined", i))
		case 2:
			pool = append(pool, fmt.Sprintf("Failed to fetch /api/v2/resource/%d", i))
		case 3:
			pool = append(pool, fmt.Sprintf("ChunkLoadError: Loading chunk %d failed", i))
		default:
			pool = append(pool, fmt.Sprintf("QuotaExceededError: quota exceeded writing key cache_%d", i))
		}
	}
	return pool
}

// generate sends n sessions, chunkSessions at a time, until done or ctx ends.
func generate(ctx context.Context, n int, now time.Time, out chan<- *chunk) {
	r := rand.New(rand.NewPCG(6, 1_000_000))
	site := newShop(errorPool())
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

	// Room for a chunk's rows of each table, by the average rows a session has of it.
	perSession := [nTables]float64{tSessions: 1, tPages: 5.5, tEvents: 1, tTraits: 0.8, tErrors: 0.4, tProps: 0.8, tSignals: 0.6, tPieces: 0.1, tText: 1.2, tTextIndex: 1.2}
	fresh := func() *chunk {
		c := &chunk{}
		for t := range c {
			c[t] = make([]any, 0, int(perSession[t]*1.1*chunkSessions)*inserts[t].cols)
		}
		return c
	}
	c := fresh()
	add := func(t int, vals ...any) { c[t] = append(c[t], vals...) }
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
		events := 50 + clicks*3 + r.IntN(400)
		country := countries.pick(r)
		v := visit{id: id, started: started, dur: dur, pages: page, checkout: checkout, paid: page[len(page)-1] == "/thanks",
			errs: errs, failed: failed, utm: utm, ref: ref}
		for k, p := range page {
			add(tPages, id, "tab_0001", started+int64(k)*dur/int64(len(page)), host+p, p)
		}
		if r.IntN(100) < 50 {
			for k := 1 + r.IntN(3); k > 0; k-- {
				name := trackNames[int(math.Min(float64(len(trackNames)-1), r.ExpFloat64()*4))]
				add(tEvents, id, name)
				v.tracks = append(v.tracks, name)
			}
		}
		if user != "" {
			v.plan = plans.pick(r)
			add(tTraits, id, "plan", v.plan)
			add(tTraits, id, "company", fmt.Sprintf("company-%d", r.IntN(20_000)))
		}
		for range errs {
			m := 1 + int(math.Min(199, r.ExpFloat64()*40))
			add(tErrors, id, m)
			v.messages = append(v.messages, m)
		}
		text := site.text(c, &v)
		site.props(c, &v)
		f := site.signals(c, &v)
		add(tSessions, id, project, started, started+dur, len(page), host+page[0], host+page[len(page)-1], clicks, events, 1, a.ua, vw, vh, started+dur, user, started+dur,
			a.browser, 0, a.os, a.device, country, errs, failed, page[0], page[len(page)-1], utm, ref,
			f.score, f.friction, f.rage, f.dead, started+dur+60_000, text)
		if (i+1)%chunkSessions == 0 || i == n-1 {
			select {
			case out <- c:
			case <-ctx.Done():
				return
			}
			c = fresh()
		}
	}
}
